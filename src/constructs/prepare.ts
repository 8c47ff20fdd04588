/**
 * Reading the token files of every batch before synth. Construct constructors are synchronous
 * and cdktf's synth is too, while token files are read as streams; so a migration app runs
 * `await prepareMigrations(app)` (or `await synthMigrations(app)`) before `app.synth()`.
 */
import { relative, resolve, sep } from "node:path";
import { LocalBackend, TerraformBackend, type App } from "cdktf";
import type { IConstruct } from "constructs";
import { TERRAFORM_PARALLELISM } from "../manifest/constants";
import { formatTokenIssue, TokenSourceError } from "../tokens/errors";
import { RepeatFinder, type Conflict } from "../tokens/repeat-finder";
import { readTokenSource, scanTokenFile, type TokenScan } from "../tokens/token-source";
import type { TokenIssueCode, TokenReport } from "../tokens/types";
import { BrazeMigrationStack } from "./braze-migration-stack";
import { MigrationError, MigrationValidationError } from "./errors";
import { TokenImportBatch } from "./token-import-batch";

// rejections that mean the token belongs to the other platform's app
const WRONG_PLATFORM: readonly TokenIssueCode[] = [
  "APNS_TOKEN_LOOKS_LIKE_FCM",
  "FCM_TOKEN_LOOKS_LIKE_APNS",
];
const SHOWN = 5;

/**
 * Reads and checks the token file of every batch under `scope`, then creates the batches'
 * resources. Each file is read once, and once more when the stack has several batches, since
 * within a stack a token may be declared by one batch only. Nothing is created unless every
 * batch passes.
 *
 * @throws MigrationValidationError listing every problem, each with its construct path
 */
export async function prepareMigrations(scope: IConstruct): Promise<void> {
  const stacks = scope.node.findAll().filter(BrazeMigrationStack.isMigrationStack);
  const errors: MigrationError[] = [];
  const ready: Array<{ stack: BrazeMigrationStack; reports: Map<TokenImportBatch, TokenReport> }> =
    [];
  for (const stack of stacks) {
    if (stack.prepared) continue;
    const reports = await readBatches(stack, errors);
    ready.push({ stack, reports });
  }
  if (errors.length > 0) throw new MigrationValidationError(errors);

  for (const { stack, reports } of ready) {
    // Terraform runs up to 10 resources at once; each batch's handler takes an equal share of
    // the workspace's one rate limit, so together they stay under it
    const running = Math.max(1, Math.min(reports.size, TERRAFORM_PARALLELISM));
    const share = Math.floor((1 / running) * 1000) / 1000;
    for (const [batch, report] of reports) batch._attach(report, share);
    addRelativeBackend(stack);
    stack.prepared = true;
  }
}

/** Prepares the migrations of `app`, then synthesises it. */
export async function synthMigrations(app: App): Promise<void> {
  await prepareMigrations(app);
  app.synth();
}

async function readBatches(
  stack: BrazeMigrationStack,
  errors: MigrationError[],
): Promise<Map<TokenImportBatch, TokenReport>> {
  const batches = stack.node.findAll().filter((c) => c instanceof TokenImportBatch);
  const reports = new Map<TokenImportBatch, TokenReport>();
  const scans = new Map<TokenImportBatch, TokenScan>();
  const unreadable = new Map<TokenImportBatch, MigrationError>();
  for (const batch of batches) {
    const scan = await scanBatch(batch);
    if (scan instanceof MigrationError) unreadable.set(batch, scan);
    else scans.set(batch, scan);
  }
  // only a stack with several batches can declare a token twice across them
  const twice = batches.length > 1 ? await findTokensInTwoBatches(scans) : new Map();

  // problems in declaration order
  for (const batch of batches) {
    const scan = scans.get(batch);
    if (scan === undefined) {
      errors.push(unreadable.get(batch)!);
      continue;
    }
    const problems = [...judgeReport(batch, scan.report), ...(twice.get(batch) ?? [])];
    errors.push(...problems);
    if (problems.length === 0) reports.set(batch, scan.report);
  }
  return reports;
}

/** One read of a batch's file: every rule, the repeats within it, counts and digest. */
async function scanBatch(batch: TokenImportBatch): Promise<TokenScan | MigrationError> {
  try {
    return await scanTokenFile(batch.sourceOptions);
  } catch (err) {
    if (!(err instanceof TokenSourceError)) throw err;
    return new MigrationError(
      "BATCH_FILE_INVALID",
      batch.node.path,
      `${err.message}; fix the file or the batch's preset, format and columns`,
    );
  }
}

/**
 * Reads the valid rows of every scanned batch once more into one repeat finder. Repeats within
 * a file were dropped by the scan, so every repeat it finds is a token of two batches. Lines
 * are numbered across the batches (each batch's lines after the previous batch's last).
 */
async function findTokensInTwoBatches(
  scans: Map<TokenImportBatch, TokenScan>,
): Promise<Map<TokenImportBatch, MigrationError[]>> {
  const finder = new RepeatFinder();
  const spans: Array<{ batch: TokenImportBatch; offset: number }> = [];
  let offset = 0;
  try {
    for (const [batch, scan] of scans) {
      spans.push({ batch, offset });
      const id = String(spans.length);
      let last = 0;
      for await (const chunk of readTokenSource(batch.sourceOptions, scan).chunks()) {
        for (const row of chunk) finder.add(row.token, id, id, offset + row.line);
        if (chunk.length > 0) last = chunk[chunk.length - 1].line;
      }
      offset += last + 1;
    }
    const where = (global: number) => {
      let span = spans[0];
      for (const s of spans) if (s.offset <= global) span = s;
      return { batch: span.batch, line: global - span.offset };
    };
    const found = new Map<TokenImportBatch, Conflict[]>();
    finder.finish((conflict) => {
      const { batch } = where(conflict.line);
      found.set(batch, [...(found.get(batch) ?? []), conflict]);
    });
    const problems = new Map<TokenImportBatch, MigrationError[]>();
    for (const [batch, conflicts] of found) {
      const list = conflicts.slice(0, SHOWN).map((c) => {
        const here = where(c.line);
        const there = where(c.otherLine);
        return new MigrationError(
          "TOKEN_IN_TWO_BATCHES",
          batch.node.path,
          `token ${c.lastSix} on line ${here.line} of ${batch.source} is already declared on ` +
            `line ${there.line} of ${there.batch.source} (${there.batch.node.path}): a token ` +
            "belongs to one batch of a stack; remove it from one of the files",
        );
      });
      if (conflicts.length > SHOWN) {
        list.push(
          new MigrationError(
            "TOKEN_IN_TWO_BATCHES",
            batch.node.path,
            `${conflicts.length - SHOWN} more tokens of ${batch.source} are declared by an ` +
              "earlier batch",
          ),
        );
      }
      problems.set(batch, list);
    }
    return problems;
  } finally {
    finder.close();
  }
}

/** The problems of a read: rows of the wrong platform, other rejections, an empty file. */
function judgeReport(batch: TokenImportBatch, report: TokenReport): MigrationError[] {
  const path = batch.node.path;
  const problems: MigrationError[] = [];
  const wrong = report.rejections.filter((i) => WRONG_PLATFORM.includes(i.code));
  const wrongCount = WRONG_PLATFORM.reduce((n, c) => n + (report.rejectedByCode[c] ?? 0), 0);
  if (wrongCount > 0) {
    problems.push(
      new MigrationError(
        "TOKEN_WRONG_PLATFORM",
        path,
        `${wrongCount} tokens of ${batch.source} belong to another platform than app ` +
          `${batch.app.node.path} (${batch.app.platform}); move them to a batch of the other ` +
          `platform's app:\n${list(wrong.map(formatTokenIssue), wrongCount)}`,
      ),
    );
  }
  const others = report.rejections.filter((i) => !WRONG_PLATFORM.includes(i.code));
  const otherCount = report.counts.rejected - wrongCount;
  if (otherCount > 0) {
    problems.push(
      new MigrationError(
        "BATCH_FILE_INVALID",
        path,
        `${otherCount} rows of ${batch.source} fail validation; fix or remove them (` +
          `\`braze-push-migrate validate ${batch.source}\` lists them all):\n` +
          list(others.map(formatTokenIssue), otherCount),
      ),
    );
  }
  if (report.counts.rejected === 0 && report.counts.valid === 0) {
    problems.push(
      new MigrationError(
        "BATCH_FILE_INVALID",
        path,
        `${batch.source} holds no valid row for a ${batch.app.platform} ${batch.mode} import ` +
          `(${report.counts.rowsRead} rows read, ${report.counts.skipped} skipped): check the ` +
          "preset and columns, or drop the batch",
      ),
    );
  }
  return problems;
}

function list(lines: readonly string[], total: number): string {
  const shown = lines.slice(0, SHOWN);
  const more = total > shown.length ? [`… and ${total - shown.length} more`] : [];
  return [...shown, ...more].join("\n");
}

/**
 * Keeps the state where cdktf keeps it by default, `terraform.<stack>.tfstate` in the
 * directory synth runs in, but written relative to the stack directory (cdktf writes an
 * absolute path), so a synthesised directory can move to another machine.
 */
function addRelativeBackend(stack: BrazeMigrationStack): void {
  if (stack.node.findAll().some((c) => c instanceof TerraformBackend)) return;
  // cdktf writes each stack into <outdir>/stacks/<stack id> (cdktf's manifest.ts)
  const stackDir = resolve(appOutdir(stack), "stacks", stack.node.id);
  const state = relative(stackDir, resolve(`terraform.${stack.node.id}.tfstate`));
  new LocalBackend(stack, { path: state.split(sep).join("/") });
}

function appOutdir(stack: BrazeMigrationStack): string {
  const root = stack.node.root as { outdir?: unknown };
  return typeof root.outdir === "string" ? root.outdir : "cdktf.out";
}
