/**
 * Reading the token files of every batch before synth. Construct constructors are synchronous
 * and cdktf's synth is too, while token files are read as streams; so a migration app runs
 * `await prepareMigrations(app)` (or `await synthMigrations(app)`) before `app.synth()`.
 */
import { relative, resolve, sep } from "node:path";
import { LocalBackend, TerraformBackend, type App } from "cdktf";
import type { IConstruct } from "constructs";
import { TERRAFORM_PARALLELISM } from "../manifest/constants";
import { formatTokenIssue, lastSix, TokenSourceError } from "../tokens/errors";
import { TokenIndex } from "../tokens/token-index";
import { readTokenSource } from "../tokens/token-source";
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
// lines of one batch share a number with its ordinal: ordinal * 2^32 + line
const LINE_SPACE = 2 ** 32;

/**
 * Reads and checks the token file of every batch under `scope`, then creates the batches'
 * resources. Each file is read once; within a stack a token may be declared by one batch
 * only. Nothing is created unless every batch passes.
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
  // only a stack with several batches can declare a token twice across them
  const shared = batches.length > 1 ? new TokenIndex() : undefined;
  try {
    for (const [ordinal, batch] of batches.entries()) {
      const report = await readBatch(batch, ordinal, batches, shared, errors);
      if (report !== undefined) reports.set(batch, report);
    }
  } finally {
    shared?.close();
  }
  return reports;
}

async function readBatch(
  batch: TokenImportBatch,
  ordinal: number,
  batches: readonly TokenImportBatch[],
  shared: TokenIndex | undefined,
  errors: MigrationError[],
): Promise<TokenReport | undefined> {
  const path = batch.node.path;
  const source = readTokenSource(batch.sourceOptions);
  const twice: Array<{ line: number; other: TokenImportBatch; otherLine: number; token: string }> =
    [];
  let twiceCount = 0;
  try {
    for await (const row of source) {
      if (shared === undefined) continue;
      const id = String(ordinal);
      const seen = shared.see(row.token, id, id, ordinal * LINE_SPACE + row.line);
      if (seen.kind === "new") continue;
      twiceCount++;
      if (twice.length < SHOWN) {
        twice.push({
          line: row.line,
          other: batches[Math.floor(seen.line / LINE_SPACE)],
          otherLine: seen.line % LINE_SPACE,
          token: lastSix(row.token),
        });
      }
    }
  } catch (err) {
    if (!(err instanceof TokenSourceError)) throw err;
    errors.push(
      new MigrationError(
        "BATCH_FILE_INVALID",
        path,
        `${err.message}; fix the file or the batch's preset, format and columns`,
      ),
    );
    return undefined;
  }

  const report = source.report();
  const problems = judgeReport(batch, report);
  for (const t of twice) {
    problems.push(
      new MigrationError(
        "TOKEN_IN_TWO_BATCHES",
        path,
        `token ${t.token} on line ${t.line} of ${batch.source} is already declared on line ` +
          `${t.otherLine} of ${t.other.source} (${t.other.node.path}): a token belongs to one ` +
          "batch of a stack; remove it from one of the files",
      ),
    );
  }
  if (twiceCount > twice.length) {
    problems.push(
      new MigrationError(
        "TOKEN_IN_TWO_BATCHES",
        path,
        `${twiceCount - twice.length} more tokens of ${batch.source} are declared by an earlier batch`,
      ),
    );
  }
  errors.push(...problems);
  return problems.length === 0 ? report : undefined;
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
