import { Option, type Command } from "commander";
import {
  formatTokenIssue,
  TokenSourceError,
  validateTokenFile,
  type ColumnMapping,
  type TokenReport,
} from "../tokens";
import { fail } from "./output";

interface ValidateFlags {
  platform: "ios" | "android";
  mode: "identified" | "anonymous";
  preset: "plain" | "onesignal" | "airship";
  format?: "csv" | "ndjson" | "json";
  column: string[];
  attribute: string[];
  acceptInstallationIds?: boolean;
  show: string;
  json?: boolean;
}

/** `--column` keys, in Braze's words, by {@link ColumnMapping} field. */
const COLUMN_KEYS: Readonly<Record<string, keyof Omit<ColumnMapping, "customAttributes">>> = {
  token: "token",
  external_id: "externalId",
  device_id: "deviceId",
  email: "email",
  country: "country",
  language: "language",
};

/**
 * `braze-push-migrate validate <file>`: reads a token file as an import would, sends nothing
 * and needs no API key (so it can run on pull requests from forks). Prints the report; exits
 * 0 when no row was rejected, 2 when some were, 1 when the file cannot be read as asked.
 */
export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description("check a token file without sending anything: counts, digest, rejected rows")
    .argument("<file>", "token file: CSV with a header row, NDJSON or JSON; gzip is fine")
    .addOption(
      new Option("--platform <platform>", "platform of the app the tokens go to")
        .choices(["ios", "android"])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--mode <mode>", "identified (rows name an external_id) or anonymous")
        .choices(["identified", "anonymous"])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--preset <preset>", "the file's export layout")
        .choices(["plain", "onesignal", "airship"])
        .default("plain"),
    )
    .addOption(
      new Option("--format <format>", "the file's encoding (default: detected)").choices([
        "csv",
        "ndjson",
        "json",
      ]),
    )
    .option(
      "--column <field=column>",
      "read a field from this column: token, external_id, device_id, email, country, language " +
        "(empty column: do not read the field); repeatable",
      collect,
      [],
    )
    .option(
      "--attribute <name=column>",
      "send this column as a custom attribute (name alone: same column name); repeatable",
      collect,
      [],
    )
    .option("--accept-installation-ids", "accept Firebase Installation IDs with a warning")
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
          file,
          platform: flags.platform,
          mode: flags.mode,
          preset: flags.preset,
          format: flags.format,
          columns: parseColumns(flags.column, flags.attribute),
          acceptInstallationIds: flags.acceptInstallationIds === true,
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

function printReport(report: TokenReport, show: number): void {
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

function parseColumns(columns: string[], attributes: string[]): ColumnMapping {
  const mapping: Record<string, unknown> = {};
  for (const pair of columns) {
    const [key, column] = splitPair(pair, "--column");
    const field = COLUMN_KEYS[key.toLowerCase()];
    if (field === undefined) {
      fail(
        `--column ${pair}: unknown field "${key}"; use one of ${Object.keys(COLUMN_KEYS).join(", ")}`,
      );
    }
    mapping[field] = column;
  }

  const customAttributes: Record<string, string> = {};
  for (const pair of attributes) {
    const [name, column] = pair.includes("=") ? splitPair(pair, "--attribute") : [pair, pair];
    if (name === "" || column === "")
      fail(`--attribute ${pair}: give a name and a column, as name=column`);
    customAttributes[name] = column;
  }
  return { ...mapping, customAttributes };
}

function splitPair(pair: string, flag: string): [string, string] {
  const at = pair.indexOf("=");
  if (at <= 0) fail(`${flag} ${pair}: write it as field=column`);
  return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
