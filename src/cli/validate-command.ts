import type { Command } from "commander";
import { formatTokenIssue, TokenSourceError, validateTokenFile, type TokenReport } from "../tokens";
import { fail } from "./output";
import { addSourceOptions, sourceOptions, type SourceFlags } from "./source-options";

interface ValidateFlags extends SourceFlags {
  show: string;
  json?: boolean;
}

/**
 * `braze-push-migrate validate <file>`: reads a token file as an import would, sends nothing
 * and needs no API key (so it can run on pull requests from forks). Prints the report; exits
 * 0 when no row was rejected, 2 when some were, 1 when the file cannot be read as asked.
 */
export function registerValidateCommand(program: Command): void {
  const command = program
    .command("validate")
    .description("check a token file without sending anything: counts, digest, rejected rows")
    .argument("<file>", "token file: CSV with a header row, NDJSON or JSON; gzip is fine");
  addSourceOptions(command)
    .option("--show <n>", "how many rejections and warnings to print", "20")
    .option("--json", "print the report as one JSON object")
    .action(async (file: string, flags: ValidateFlags) => {
      const show = Number(flags.show);
      if (!Number.isInteger(show) || show < 0) {
        fail(`--show must be a whole number of 0 or more, got "${flags.show}"`);
      }

      let report: TokenReport;
      try {
        report = await validateTokenFile({
          ...sourceOptions(file, flags),
          keepIssues: Math.max(show, 100),
        });
      } catch (err) {
        if (err instanceof TokenSourceError) fail(err.message);
        throw err;
      }

      if (flags.json) console.log(JSON.stringify(report));
      else printReport(report, show);
      if (report.counts.rejected > 0) process.exitCode = 2;
    });
}

/** Prints a token file's report: counts, digest, notes and the first `show` issues. */
export function printReport(report: TokenReport, show: number): void {
  const { counts } = report;
  const encoding = report.gzip ? `${report.format}, gzip` : report.format;
  const columns = Object.entries(report.columns).map(([field, column]) => `${field}=${column}`);
  const lines = [
    `file:       ${report.file} (${encoding})`,
    `import:     ${report.platform}, ${report.mode}, preset ${report.preset}`,
    `columns:    ${columns.join(", ") || "none"}`,
    `rows read:  ${counts.rowsRead}`,
    `valid:      ${counts.valid}`,
    `rejected:   ${counts.rejected}${breakdown(report.rejectedByCode)}`,
    `duplicates: ${counts.duplicates} (identical repeats, collapsed)`,
    `skipped:    ${counts.skipped}${breakdown(report.skippedByReason)}`,
    `warnings:   ${counts.warnings}${breakdown(report.warningsByCode)}`,
    `digest:     ${report.digest}`,
  ];
  for (const note of report.notes) lines.push(`note: ${note}`);

  for (const [kind, issues, total] of [
    ["rejected", report.rejections, counts.rejected],
    ["warnings", report.warnings, counts.warnings],
  ] as const) {
    for (const issue of issues.slice(0, show)) lines.push(formatTokenIssue(issue));
    const more = total - Math.min(show, issues.length);
    if (more > 0) lines.push(`… ${more} more ${kind} rows not shown (--show <n> or --json)`);
  }
  console.log(lines.join("\n"));
}

function breakdown(byKey: Readonly<Record<string, number | undefined>>): string {
  const parts = Object.entries(byKey).map(([key, n]) => `${key} ${n}`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}
