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
import {
  readCsvRecords,
  readJsonDocumentRecords,
  readNdjsonRecords,
  type JsonRecord,
} from "./record-readers";
import { ReportBuilder } from "./report-builder";
import { checkDeviceId, checkExternalId, checkToken, RULES } from "./token-rules";
import { LineCursor, RepeatFinder, type Conflict } from "./repeat-finder";
import type { TokenReport, TokenRow, TokenSourceOptions } from "./types";

/**
 * A token file being read: iterate it once for the valid rows (one at a time, or in chunks
 * with {@link TokenSource.chunks}), then ask for the report.
 */
export interface TokenSource extends AsyncIterable<TokenRow> {
  /** The valid rows in file order, a chunk at a time: the cheaper way through a large file. */
  chunks(): AsyncIterable<readonly TokenRow[]>;
  /**
   * The report of the read. Available once iteration has finished; before that it throws a
   * {@link TokenSourceError} with code `BAD_OPTION`.
   */
  report(): TokenReport;
}

/** A whole read of a token file: its report, and the lines that repeat an earlier token. */
export interface TokenScan {
  readonly report: TokenReport;
  /** Lines of repeats (duplicates and conflicts), ascending: a later read skips them. */
  readonly repeatLines: Uint32Array;
}

/** One record of the file as the judge sees it. */
type SourceRecord =
  | { readonly line: number; readonly get: FieldGetter; readonly blank: boolean }
  | { readonly line: number; readonly malformed: string };

/** A row that passed every rule, and its normalised form. */
interface Judged {
  readonly row: TokenRow;
  readonly normalised: string;
}

const PLATFORMS = ["ios", "android"];
const MODES = ["identified", "anonymous"];

/**
 * Reads a token file (CSV with a header row, NDJSON or a JSON document; gzip or not) and yields
 * its valid rows in file order, normalised. Rows that break a rule, repeat an earlier row's
 * token or do not belong to the import are not yielded; the report counts them and keeps the
 * first rejections. Memory stays flat: a chunk of records at a time.
 *
 * Repeats are only known once the whole file has been seen, so without `scan` (the result of
 * {@link scanTokenFile} on the same file) the source first scans the file itself: two reads.
 * With `scan`, one read, and the report's digest tells whether the file changed in between.
 * The first row of a token stands; a later row with another external_id is rejected.
 */
export function readTokenSource(options: TokenSourceOptions, scan?: TokenScan): TokenSource {
  const preset = checkOptions(options);
  let started = false;
  let report: TokenReport | undefined;
  const start = () => {
    if (started) {
      throw new TokenSourceError(
        "BAD_OPTION",
        `${options.file} is already being read; a token source is read once`,
      );
    }
    started = true;
    return readValidRows(options, preset, scan, (done) => (report = done));
  };
  return {
    [Symbol.asyncIterator]() {
      return flatten(start())[Symbol.asyncIterator]();
    },
    chunks() {
      return { [Symbol.asyncIterator]: () => start()[Symbol.asyncIterator]() };
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

/**
 * Reads the whole file once: every rule, every repeat, the counts and the digest. Nothing is
 * yielded; {@link readTokenSource} with the result reads the valid rows in one more pass.
 */
export async function scanTokenFile(options: TokenSourceOptions): Promise<TokenScan> {
  const preset = checkOptions(options);
  const { builder, digest, chunks } = await openRead(options, preset);
  const finder = new RepeatFinder(options.tempDir);
  let judged = 0;
  try {
    for await (const chunk of chunks) {
      judged += chunk.length;
      digest.add(chunk.map((j) => j.normalised));
      for (const { row, normalised } of chunk) {
        finder.add(row.token, row.externalId ?? "", normalised, row.line);
      }
    }
    const repeats = finder.finish((conflict) => rejectRepeat(conflict, options, builder));
    builder.duplicates = repeats.duplicates;
    builder.valid = judged - repeats.lines.length;
    return { report: builder.build(digest.finish()), repeatLines: repeats.lines };
  } finally {
    finder.close();
  }
}

/** Reads the whole file and returns its report, for checks that do not import. */
export async function validateTokenFile(options: TokenSourceOptions): Promise<TokenReport> {
  return (await scanTokenFile(options)).report;
}

function checkOptions(options: TokenSourceOptions): PresetDefinition {
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
  return preset;
}

async function* flatten<T>(chunks: AsyncIterable<readonly T[]>): AsyncGenerator<T> {
  for await (const chunk of chunks) yield* chunk;
}

async function* readValidRows(
  options: TokenSourceOptions,
  preset: PresetDefinition,
  known: TokenScan | undefined,
  finish: (report: TokenReport) => void,
): AsyncGenerator<TokenRow[]> {
  const scan = known ?? (await scanTokenFile(options));
  const { builder, digest, chunks } = await openRead(options, preset);
  builder.adoptRepeats(scan.report);
  const repeats = new LineCursor(scan.repeatLines);
  for await (const chunk of chunks) {
    // the digest covers every row that passed the rules, repeats included, as in the scan
    digest.add(chunk.map((j) => j.normalised));
    const valid: TokenRow[] = [];
    for (const { row } of chunk) if (!repeats.has(row.line)) valid.push(row);
    builder.valid += valid.length;
    if (valid.length > 0) yield valid;
  }
  finish(builder.build(digest.finish()));
}

/** Opens a read: the report under construction, the digest, and the rows that pass the rules. */
async function openRead(
  options: TokenSourceOptions,
  preset: PresetDefinition,
): Promise<{ builder: ReportBuilder; digest: ContentDigest; chunks: AsyncGenerator<Judged[]> }> {
  const { file, platform, mode } = options;
  const input = await openTokenInput(file);
  const format = options.format ?? (await detectFormat(input, file));
  const builder = new ReportBuilder(options, preset, format, input.gzip);
  const digest = new ContentDigest(platform, mode);
  const plan = planColumns(preset, options.columns);
  builder.plan = plan;
  const records = readRecords(options, preset, plan, format, input.open(), builder);
  return { builder, digest, chunks: judgeAll(records, options, preset, plan, builder) };
}

/** The rows of each chunk of records that pass every rule; the others go to the report. */
async function* judgeAll(
  records: AsyncIterable<SourceRecord[]>,
  options: TokenSourceOptions,
  preset: PresetDefinition,
  plan: ColumnPlan,
  builder: ReportBuilder,
): AsyncGenerator<Judged[]> {
  for await (const chunk of records) {
    const judged: Judged[] = [];
    for (const record of chunk) {
      builder.rowsRead++;
      if ("malformed" in record) {
        const { rule, fix } = RULES.ROW_MALFORMED;
        builder.reject({
          code: "ROW_MALFORMED",
          severity: "error",
          file: options.file,
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
      // repeats are judged on the normalised row, so spacing or case in the file do not matter
      if (row !== undefined) judged.push({ row, normalised: normalisedRow(row) });
    }
    if (judged.length > 0) yield judged;
  }
}

/** Rejects a row whose token an earlier row already had with other values. */
function rejectRepeat(
  conflict: Conflict,
  options: TokenSourceOptions,
  builder: ReportBuilder,
): void {
  const code = conflict.sameOwner ? "TOKEN_REPEATED_DIFFERENTLY" : "TOKEN_CLAIMED_TWICE";
  const problem = conflict.sameOwner
    ? `token is already on line ${conflict.otherLine} with other values`
    : `token is already on line ${conflict.otherLine} for another external_id`;
  const { rule, fix, severity } = RULES[code];
  builder.reject({
    code,
    severity,
    file: options.file,
    line: conflict.line,
    problem,
    value: conflict.lastSix,
    rule,
    fix,
    otherLine: conflict.otherLine,
  });
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
): AsyncGenerator<SourceRecord[]> {
  if (format !== "csv") {
    const chunks =
      format === "ndjson"
        ? readNdjsonRecords(stream)
        : readJsonDocumentRecords(stream, options.file);
    for await (const chunk of chunks) yield chunk.map(jsonRecord);
    return;
  }

  let header: string[] | undefined;
  let index = new Map<string, number>();
  for await (const chunk of readCsvRecords(stream, options.file)) {
    const records: SourceRecord[] = [];
    for (const { line, cells } of chunk) {
      if (header === undefined) {
        header = cells.map((cell) => cell.trim().toLowerCase());
        index = new Map(header.map((name, i) => [name, i] as const).reverse());
        builder.plan = fitToHeader(plan, preset, options.columns ?? {}, header, options.file);
        builder.noteHeader(header);
      } else if (cells.every((cell) => cell.trim() === "")) {
        records.push({ line, get: () => undefined, blank: true });
      } else if (cells.length !== header.length) {
        records.push({
          line,
          malformed: `row has ${cells.length} cells, the header has ${header.length}`,
        });
      } else {
        records.push({ line, get: csvGetter(index, cells), blank: false });
      }
    }
    if (records.length > 0) yield records;
  }
  if (header === undefined) builder.note(`${options.file} is empty: no header row`);
}

function jsonRecord(record: JsonRecord): SourceRecord {
  if ("error" in record) {
    return { line: record.line, malformed: `row is not valid JSON (${record.error})` };
  }
  if (record.value === null || typeof record.value !== "object" || Array.isArray(record.value)) {
    return { line: record.line, malformed: "row is not a JSON object" };
  }
  return {
    line: record.line,
    get: jsonGetter(record.value as Record<string, unknown>),
    blank: false,
  };
}
