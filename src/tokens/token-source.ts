/**
 * Reading a token file as a stream of valid rows, with a report of everything else. This is the
 * entry point of token sources: the import engine iterates the rows, the `validate` command
 * drains them and prints the report.
 */
import type { Readable } from "node:stream";
import { csvGetter, fitToHeader, jsonGetter, pick, planColumns, type ColumnPlan } from "./columns";
import { ContentDigest, normalisedRow } from "./digest";
import { lastSix, TokenSourceError } from "./errors";
import { detectFormat, openTokenInput } from "./input";
import { PRESETS, text, type FieldGetter, type PresetDefinition } from "./presets";
import { readCsvRecords, readJsonDocumentRecords, readNdjsonRecords } from "./record-readers";
import { ReportBuilder } from "./report-builder";
import { checkDeviceId, checkExternalId, checkToken, RULES } from "./token-rules";
import { TokenIndex } from "./token-index";
import type { TokenReport, TokenRow, TokenSourceOptions } from "./types";

/** A token file being read: iterate it once for the valid rows, then ask for the report. */
export interface TokenSource extends AsyncIterable<TokenRow> {
  /**
   * The report of the read. Available once iteration has finished; before that it throws a
   * {@link TokenSourceError} with code `BAD_OPTION`.
   */
  report(): TokenReport;
}

/** One record of the file as the judge sees it. */
type SourceRecord =
  | { readonly line: number; readonly get: FieldGetter; readonly blank: boolean }
  | { readonly line: number; readonly malformed: string };

const PLATFORMS = ["ios", "android"];
const MODES = ["identified", "anonymous"];

/**
 * Reads a token file (CSV with a header row, NDJSON or a JSON document; gzip or not) and yields
 * its valid rows in file order, normalised. Rows that break a rule, repeat an earlier row or do
 * not belong to the import are not yielded; the report counts them and keeps the first
 * rejections. Memory stays flat: one record at a time, and repeats are found through a
 * temporary on-disk index of token hashes.
 *
 * Shortcoming: rows stream out as they are read, so when a later row repeats a token with
 * another external_id, the earlier row has already been yielded; the later one is rejected.
 */
export function readTokenSource(options: TokenSourceOptions): TokenSource {
  const preset = PRESETS[options.preset ?? "plain"];
  if (preset === undefined) {
    throw new TokenSourceError(
      "BAD_OPTION",
      `preset must be plain, onesignal or airship, got "${options.preset}"`,
    );
  }
  if (!PLATFORMS.includes(options.platform)) {
    throw new TokenSourceError(
      "BAD_OPTION",
      `platform must be ios or android, got "${options.platform}"`,
    );
  }
  if (!MODES.includes(options.mode)) {
    throw new TokenSourceError(
      "BAD_OPTION",
      `mode must be identified or anonymous, got "${options.mode}"`,
    );
  }

  let started = false;
  let report: TokenReport | undefined;
  return {
    [Symbol.asyncIterator]() {
      if (started)
        throw new TokenSourceError(
          "BAD_OPTION",
          `${options.file} is already being read; a token source is read once`,
        );
      started = true;
      return readRows(options, preset, (done) => (report = done))[Symbol.asyncIterator]();
    },
    report() {
      if (report === undefined) {
        throw new TokenSourceError(
          "BAD_OPTION",
          `the report of ${options.file} is ready once every row has been read`,
        );
      }
      return report;
    },
  };
}

/** Reads the whole file and returns its report, for checks that do not import. */
export async function validateTokenFile(options: TokenSourceOptions): Promise<TokenReport> {
  const source = readTokenSource(options);
  for await (const row of source) void row;
  return source.report();
}

async function* readRows(
  options: TokenSourceOptions,
  preset: PresetDefinition,
  finish: (report: TokenReport) => void,
): AsyncGenerator<TokenRow> {
  const { file, platform, mode } = options;
  const input = await openTokenInput(file);
  const format = options.format ?? (await detectFormat(input, file));
  const builder = new ReportBuilder(options, preset, format, input.gzip);
  const digest = new ContentDigest(platform, mode);
  const plan = planColumns(preset, options.columns);
  builder.plan = plan;
  const index = options.skipRepeatCheck ? undefined : new TokenIndex();

  try {
    for await (const record of readRecords(options, preset, plan, format, input.open(), builder)) {
      builder.rowsRead++;
      if ("malformed" in record) {
        const { rule, fix } = RULES.ROW_MALFORMED;
        builder.reject({
          code: "ROW_MALFORMED",
          severity: "error",
          file,
          line: record.line,
          problem: record.malformed,
          rule,
          fix,
        });
        continue;
      }
      if (record.blank) {
        builder.skip("blank rows");
        continue;
      }
      const row = judge(record.line, record.get, options, builder.plan ?? plan, preset, builder);
      if (row === undefined) continue;

      // repeats are judged on the normalised row, so spacing or case in the file do not matter
      const normalised = normalisedRow(row);
      const seen = index?.see(row.token, row.externalId ?? "", normalised, row.line) ?? {
        kind: "new" as const,
      };
      if (seen.kind === "duplicate") {
        builder.duplicates++;
        continue;
      }
      if (seen.kind === "conflict") {
        const code = seen.sameOwner ? "TOKEN_REPEATED_DIFFERENTLY" : "TOKEN_CLAIMED_TWICE";
        const problem = seen.sameOwner
          ? `token is already on line ${seen.line} with other values`
          : `token is already on line ${seen.line} for another external_id`;
        const { rule, fix, severity } = RULES[code];
        builder.reject({
          code,
          severity,
          file,
          line: row.line,
          problem,
          value: lastSix(row.token),
          rule,
          fix,
          otherLine: seen.line,
        });
        continue;
      }

      builder.valid++;
      digest.add(normalised);
      yield row;
    }
  } finally {
    index?.close();
  }
  finish(builder.build(digest.finish()));
}

/** Applies the preset's filter and every rule to one record; `undefined` when not imported. */
function judge(
  line: number,
  get: FieldGetter,
  options: TokenSourceOptions,
  plan: ColumnPlan,
  preset: PresetDefinition,
  builder: ReportBuilder,
): TokenRow | undefined {
  const { file, platform, mode } = options;
  const raw = text(pick(get, plan.fields.token));

  const verdict = preset.classify(get, platform);
  if (verdict.kind === "skip") {
    builder.skip(verdict.reason);
    return undefined;
  }
  if (verdict.kind === "refuse") {
    builder.reject({
      ...verdict.finding,
      file,
      line,
      value: raw === undefined ? undefined : lastSix(raw),
    });
    return undefined;
  }

  const checked = checkToken(platform, raw ?? "", options.acceptInstallationIds);
  if (!checked.ok) {
    builder.reject({ ...checked.finding, file, line });
    return undefined;
  }
  const externalId = text(pick(get, plan.fields.externalId));
  const deviceId = text(pick(get, plan.fields.deviceId));
  const broken = checkExternalId(mode, externalId) ?? checkDeviceId(deviceId);
  if (broken !== undefined) {
    builder.reject({ ...broken, file, line });
    return undefined;
  }
  if (checked.warning !== undefined) builder.warn({ ...checked.warning, file, line });

  const customAttributes: Record<string, unknown> = {};
  for (const [name, column] of plan.customAttributes) {
    const value = get(column);
    // CSV cells are text; JSON values keep their type
    const kept = typeof value === "string" ? text(value) : value;
    if (kept !== undefined && kept !== null) customAttributes[name] = kept;
  }
  const row: { -readonly [K in keyof TokenRow]: TokenRow[K] } = {
    line,
    token: checked.token,
    customAttributes,
  };
  if (externalId !== undefined) row.externalId = externalId;
  if (deviceId !== undefined) row.deviceId = deviceId;
  const email = text(pick(get, plan.fields.email));
  if (email !== undefined) row.email = email;
  const country = text(pick(get, plan.fields.country));
  if (country !== undefined) row.country = country;
  const language = text(pick(get, plan.fields.language));
  if (language !== undefined) row.language = language;
  return row;
}

/** The records of the file in one shape, whatever its format; fixes the column plan. */
async function* readRecords(
  options: TokenSourceOptions,
  preset: PresetDefinition,
  plan: ColumnPlan,
  format: string,
  stream: Readable,
  builder: ReportBuilder,
): AsyncGenerator<SourceRecord> {
  if (format !== "csv") {
    const records =
      format === "ndjson"
        ? readNdjsonRecords(stream)
        : readJsonDocumentRecords(stream, options.file);
    for await (const record of records) {
      if ("error" in record) {
        yield { line: record.line, malformed: `row is not valid JSON (${record.error})` };
      } else if (
        record.value === null ||
        typeof record.value !== "object" ||
        Array.isArray(record.value)
      ) {
        yield { line: record.line, malformed: "row is not a JSON object" };
      } else {
        yield {
          line: record.line,
          get: jsonGetter(record.value as Record<string, unknown>),
          blank: false,
        };
      }
    }
    return;
  }

  let header: string[] | undefined;
  let index = new Map<string, number>();
  for await (const { line, cells } of readCsvRecords(stream, options.file)) {
    if (header === undefined) {
      header = cells.map((cell) => cell.trim().toLowerCase());
      index = new Map(header.map((name, i) => [name, i] as const).reverse());
      builder.plan = fitToHeader(plan, preset, options.columns ?? {}, header, options.file);
      builder.noteHeader(header);
      continue;
    }
    if (cells.every((cell) => cell.trim() === "")) {
      yield { line, get: () => undefined, blank: true };
    } else if (cells.length !== header.length) {
      yield { line, malformed: `row has ${cells.length} cells, the header has ${header.length}` };
    } else {
      yield { line, get: csvGetter(index, cells), blank: false };
    }
  }
  if (header === undefined) builder.note(`${options.file} is empty: no header row`);
}
