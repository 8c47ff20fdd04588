/**
 * Streaming readers that turn a token file into records, each with the 1-based line where it
 * starts. They hand records over a chunk at a time (the records of one read of the stream), so
 * the per-record cost of async iteration is paid once per chunk. Memory holds one chunk (and the
 * parser's buffer), whatever the size of the file.
 */
import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { TokenSourceError } from "./errors";

/** One CSV row: the cells as written, and the line where the row starts. */
export interface CsvRecord {
  readonly line: number;
  readonly cells: string[];
}

/** One JSON value read from the file, or why it could not be parsed. */
export type JsonRecord =
  | { readonly line: number; readonly value: unknown }
  | { readonly line: number; readonly error: string };

// CSV records handed over together: csv-parse yields them one at a time
const CSV_CHUNK = 1000;

/**
 * Reads CSV rows with csv-parse. The first row yielded is the header. Empty lines are skipped;
 * a quoted cell may span lines, and the row's line is the one where it starts.
 */
export async function* readCsvRecords(stream: Readable, file: string): AsyncGenerator<CsvRecord[]> {
  const parser = parse({ bom: true, raw: true, relax_column_count: true, skip_empty_lines: true });
  stream.on("error", (err) => parser.destroy(err));
  stream.pipe(parser);

  // csv-parse's own line count treats a CRLF inside a quoted cell as two lines, so the start
  // line is counted here from the raw text of each record, which includes the empty lines
  // skipped before it
  let cursor = 1;
  let chunk: CsvRecord[] = [];
  try {
    for await (const parsed of parser) {
      const { record, raw } = parsed as { record: string[]; raw: string };
      const line = cursor + leadingBreaks(raw);
      cursor += countBreaks(raw);
      chunk.push({ line, cells: record });
      if (chunk.length === CSV_CHUNK) {
        yield chunk;
        chunk = [];
      }
    }
  } catch (err) {
    if (err instanceof TokenSourceError) throw err;
    const where = (err as { lines?: number }).lines;
    const at = where === undefined ? "" : ` near line ${where}`;
    throw new TokenSourceError(
      "CSV_MALFORMED",
      `cannot read ${file} as CSV${at}: ${(err as Error).message}; fix the file's quoting, or pass --format if it is not CSV`,
    );
  } finally {
    stream.destroy();
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Reads NDJSON: one JSON value per line; blank lines are skipped. A line ends at `\n`, `\r\n` or
 * a lone `\r`, as in readline.
 */
export async function* readNdjsonRecords(stream: Readable): AsyncGenerator<JsonRecord[]> {
  stream.setEncoding("utf8");
  let line = 0;
  let rest = "";
  const parseLines = (text: string, last: boolean): JsonRecord[] => {
    const records: JsonRecord[] = [];
    const breaks = new LineBreaks(text);
    let from = 0;
    for (;;) {
      const end = breaks.next(from);
      // a \r at the very end may be the first half of a \r\n split across two reads
      if (end === -1 || (!last && end === text.length - 1 && text[end] === "\r")) break;
      record(text.slice(from, end), records);
      from = text[end] === "\r" && text[end + 1] === "\n" ? end + 2 : end + 1;
    }
    rest = text.slice(from);
    if (last && rest !== "") {
      record(rest, records);
      rest = "";
    }
    return records;
  };
  const record = (text: string, into: JsonRecord[]) => {
    line++;
    const trimmed = line === 1 ? text.replace(/^\uFEFF/, "").trim() : text.trim();
    if (trimmed === "") return;
    try {
      into.push({ line, value: JSON.parse(trimmed) as unknown });
    } catch (err) {
      into.push({ line, error: (err as Error).message });
    }
  };
  try {
    for await (const text of stream) {
      const records = parseLines(rest + (text as string), false);
      if (records.length > 0) yield records;
    }
    const records = parseLines(rest, true);
    if (records.length > 0) yield records;
  } finally {
    stream.destroy();
  }
}

/** Finds line breaks (\n or \r) in a text, scanning it for each kind only once. */
class LineBreaks {
  private n = -2;
  private r = -2;

  constructor(private readonly text: string) {}

  /** The index of the next \n or \r at or after `from`, or -1. */
  next(from: number): number {
    if (this.n !== -1 && this.n < from) this.n = this.text.indexOf("\n", from);
    if (this.r !== -1 && this.r < from) this.r = this.text.indexOf("\r", from);
    if (this.r === -1) return this.n;
    if (this.n === -1) return this.r;
    return Math.min(this.n, this.r);
  }
}

/**
 * Reads the objects of a JSON document shaped as a top-level array or as an object with a
 * `channels` array (a saved page of Airship's `GET /api/channels`). It scans the text for the
 * bounds of each element and parses one element at a time, so the document is never held whole.
 * Elements of the array that are not objects are ignored.
 */
export async function* readJsonDocumentRecords(
  stream: Readable,
  file: string,
): AsyncGenerator<JsonRecord[]> {
  stream.setEncoding("utf8");
  const scan = new ElementScanner();
  try {
    for await (const chunk of stream) {
      const records = [...scan.push(chunk as string)];
      if (records.length > 0) yield records;
    }
  } finally {
    stream.destroy();
  }
  if (scan.unfinished()) {
    throw new TokenSourceError(
      "JSON_MALFORMED",
      `cannot read ${file} as JSON: the document ends inside a value (line ${scan.line}); ` +
        "save the whole response, or write one channel object per line (NDJSON)",
    );
  }
}

/** Finds the objects of the array of interest in a stream of JSON text. */
class ElementScanner {
  line = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  // the depth at which elements of the array of interest start, once that array is found
  private elementDepth = -1;
  private topIsObject = false;
  private key = "";
  private lastKey = "";
  private element: string[] = [];
  private elementLine = 0;
  private capturing = false;

  *push(text: string): Generator<JsonRecord> {
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === "\n") this.line++;

      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === "\\") this.escaped = true;
        else if (ch === '"') {
          this.inString = false;
          if (!this.capturing && this.depth === 1) this.lastKey = this.key;
        } else if (!this.capturing && this.depth === 1) this.key += ch;
        continue;
      }

      if (ch === '"') {
        this.inString = true;
        this.key = "";
      } else if (ch === "{" || ch === "[") {
        if (this.depth === 0) this.topIsObject = ch === "{";
        if (this.depth === 0 && ch === "[") this.elementDepth = 1;
        if (this.depth === 1 && ch === "[" && this.topIsObject && this.lastKey === "channels") {
          this.elementDepth = 2;
        }
        if (ch === "{" && this.depth === this.elementDepth && !this.capturing) {
          this.capturing = true;
          this.elementLine = this.line;
          from = i;
        }
        this.depth++;
      } else if (ch === "}" || ch === "]") {
        this.depth--;
        if (this.capturing && this.depth === this.elementDepth) {
          this.element.push(text.slice(from, i + 1));
          yield this.finishElement();
        } else if (ch === "]" && this.depth === this.elementDepth - 1) {
          this.elementDepth = -1;
        }
      }
    }
    if (this.capturing) this.element.push(text.slice(from));
  }

  unfinished(): boolean {
    return this.depth !== 0 || this.inString;
  }

  private finishElement(): JsonRecord {
    const text = this.element.join("");
    this.element = [];
    this.capturing = false;
    try {
      return { line: this.elementLine, value: JSON.parse(text) as unknown };
    } catch (err) {
      return { line: this.elementLine, error: (err as Error).message };
    }
  }
}

function leadingBreaks(raw: string): number {
  let i = 0;
  let breaks = 0;
  while (i < raw.length && (raw[i] === "\r" || raw[i] === "\n")) {
    if (raw[i] === "\r" && raw[i + 1] === "\n") i++;
    breaks++;
    i++;
  }
  return breaks;
}

// a line break is \r\n, \r or \n
function countBreaks(raw: string): number {
  if (!raw.includes("\r")) {
    let n = 0;
    for (let i = raw.indexOf("\n"); i !== -1; i = raw.indexOf("\n", i + 1)) n++;
    return n;
  }
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === "\n" || raw[i] === "\r") {
      if (raw[i] === "\r" && raw[i + 1] === "\n") i++;
      n++;
    }
  }
  return n;
}
