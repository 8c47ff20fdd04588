import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { BrazeClient } from "../client/braze-client";
import { BrazeError } from "../client/errors";
import { ImportError, runImport, type ImportProgress, type ImportReport } from "../engine/import";
import { LedgerError } from "../engine/ledger";
import { TokenSourceError } from "../tokens";
import { fail, log } from "./output";
import { addSourceOptions, sourceOptions, type SourceFlags } from "./source-options";
import { printReport } from "./validate-command";

interface ImportFlags extends SourceFlags {
  appId: string;
  ledger?: string;
  ledgerDir?: string;
  dryRun?: boolean;
  resendInDoubt?: boolean;
  concurrency: string;
  rateShare: string;
  json?: boolean;
}

/**
 * `braze-push-migrate import <file>`: validates a token file, then imports its valid rows into
 * one Braze app through /users/track, recording each token's outcome in a ledger so a killed
 * run resumes. Endpoint and key come from BRAZE_REST_ENDPOINT and BRAZE_API_KEY.
 *
 * Exit codes: 0 when every valid token was accepted; 2 when some were rejected by Braze or are
 * in doubt (or, with --dry-run, when the file has rejected rows); 1 when the import could not
 * run or stopped (bad file, bad key, Braze refusing).
 */
export function registerImportCommand(program: Command): void {
  const command = program
    .command("import")
    .description("import a token file into a Braze app, resumable through a ledger")
    .argument("<file>", "token file: CSV with a header row, NDJSON or JSON; gzip is fine")
    .requiredOption("--app-id <id>", "the Braze app_id the tokens belong to");
  addSourceOptions(command)
    .option("--ledger <file>", "the ledger of this import (default: one per app, mode and file)")
    .option("--ledger-dir <dir>", "folder of the default ledgers", ".braze-push-migrate/ledgers")
    .option("--dry-run", "validate and count only; send nothing, need no key")
    .option(
      "--resend-in-doubt",
      "identified imports: re-send rows whose earlier request may have landed (rewrites their " +
        "attributes)",
    )
    .option("--concurrency <n>", "requests in flight at once", "128")
    .option("--rate-share <x>", "share of the workspace rate limit to use (0-1)", "1")
    .option("--json", "print the final report as one JSON object")
    .action(async (file: string, flags: ImportFlags) => {
      const concurrency = Number(flags.concurrency);
      const rateShare = Number(flags.rateShare);
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        fail(`--concurrency must be a whole number of 1 or more, got "${flags.concurrency}"`);
      }
      if (!(rateShare > 0 && rateShare <= 1)) {
        fail(`--rate-share must be above 0 and at most 1, got "${flags.rateShare}"`);
      }

      let client: BrazeClient | undefined;
      try {
        if (!flags.dryRun) client = BrazeClient.fromEnv({ concurrency, rateShare });
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
      }

      const progress = new ProgressDisplay(flags.json === true);
      let report: ImportReport;
      try {
        report = await runImport({
          source: sourceOptions(file, flags),
          appId: flags.appId,
          ledgerPath: flags.ledger,
          ledgerDir: flags.ledgerDir,
          client,
          dryRun: flags.dryRun === true,
          resendInDoubt: flags.resendInDoubt === true,
          inFlight: concurrency * 2,
          onProgress: (p) => progress.update(p),
        });
      } catch (err) {
        progress.stop();
        if (err instanceof ImportError) {
          printFinal(err.report, flags.json === true);
          fail(err.message);
        }
        if (err instanceof TokenSourceError || err instanceof LedgerError) fail(err.message);
        if (err instanceof BrazeError) fail(err.message);
        throw err;
      } finally {
        await client?.close();
      }
      progress.stop();

      printFinal(report, flags.json === true);
      const ok = report.dryRun ? report.source.counts.rejected === 0 : report.complete;
      if (!ok) process.exitCode = 2;
    });
}

function printFinal(report: ImportReport, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(report));
    return;
  }
  printReport(report.source, 10);
  if (report.dryRun) {
    log("dry run: nothing was sent");
    return;
  }

  const o = report.outcomes ?? { sent: 0, accepted: 0, rejected: 0, unknown: 0 };
  const lines = [
    `ledger:     ${report.ledgerPath}`,
    `requests:   ${report.requests} this run (validated in ${report.seconds.validate} s, sent in ${report.seconds.send} s)`,
    `accepted:   ${o.accepted}${report.settledBefore > 0 ? ` (${report.settledBefore} confirmed by an earlier run)` : ""}`,
    `rejected:   ${o.rejected} by Braze`,
    `in doubt:   ${o.unknown + o.sent}`,
  ];
  for (const r of report.brazeRejections.slice(0, 10)) {
    lines.push(`line ${r.line}: Braze rejected the object: ${r.code}`);
  }
  if (report.linesInDoubt.length > 0) {
    lines.push(
      `lines in doubt (the request may or may not have landed): ${report.linesInDoubt.join(", ")}` +
        (o.unknown + o.sent > report.linesInDoubt.length ? ", …" : ""),
    );
  }
  if (report.leftInDoubt > 0) {
    lines.push(
      `${report.leftInDoubt} identified rows were not re-sent because an earlier request ` +
        "carrying them may have landed; re-sending rewrites those users' attributes. Run again " +
        "with --resend-in-doubt to send them",
    );
  }
  lines.push(report.complete ? "complete: every valid token was accepted" : "not complete");
  console.log(lines.join("\n"));
}

/**
 * Progress on stderr: a bar on a terminal, a plain line every 5 seconds elsewhere (CI logs),
 * nothing with --json.
 */
class ProgressDisplay {
  private bar: SingleBar | undefined;
  private lastLine = 0;

  constructor(private readonly quiet: boolean) {}

  update(p: ImportProgress): void {
    if (this.quiet) return;
    if (process.stderr.isTTY) {
      if (this.bar === undefined) {
        this.bar = new SingleBar({
          stream: process.stderr,
          format:
            "importing [{bar}] {value}/{total} tokens | {accepted} accepted | {eta_formatted}",
          hideCursor: true,
        });
        this.bar.start(p.total, 0, { accepted: 0 });
      }
      this.bar.update(p.done, { accepted: p.accepted });
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= 5000 || p.done === p.total) {
      this.lastLine = now;
      log(
        `imported ${p.done}/${p.total} tokens: ${p.accepted} accepted, ${p.rejected} rejected, ` +
          `${p.unknown} in doubt`,
      );
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
