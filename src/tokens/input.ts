/**
 * Opening a token file: gzip is recognised by its magic bytes (OneSignal's csv_export delivers
 * `.csv.gz`), and the format by the first bytes of the content when the caller does not say.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { TokenSourceError } from "./errors";
import type { TokenFileFormat } from "./types";

/** Bytes per read of the file (and per gunzip output chunk): fewer, larger chunks cost less. */
const READ_BYTES = 256 * 1024;

/** How much of the content format detection looks at. */
const SNIFF_BYTES = 64 * 1024;

/** An opened token file. */
export interface TokenInput {
  readonly gzip: boolean;
  /** Opens the (decompressed) content as a new stream; call once per pass. */
  open(): Readable;
}

/** Opens `file`, failing with a message that names it when it cannot be read. */
export async function openTokenInput(file: string): Promise<TokenInput> {
  let head: Buffer;
  try {
    const handle = await open(file, "r");
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new TokenSourceError("FILE_UNREADABLE", `cannot read token file ${file}: ${reason}`);
  }

  const gzip = head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
  return {
    gzip,
    open() {
      const raw = createReadStream(file, { highWaterMark: READ_BYTES });
      if (!gzip) return raw;
      const gunzip = createGunzip({ chunkSize: READ_BYTES });
      raw.on("error", (err) => gunzip.destroy(err));
      gunzip.on("error", () => raw.destroy());
      return raw.pipe(gunzip);
    },
  };
}

/**
 * Guesses the format from the first 64 KiB: a `[` or an object that does not fit on its first
 * line is a JSON document, one JSON object per line is NDJSON, anything else CSV.
 */
export async function detectFormat(input: TokenInput, file: string): Promise<TokenFileFormat> {
  const head = await readHead(input, file);
  const text = head.replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("[")) return "json";
  if (!text.startsWith("{")) return "csv";

  const firstLine = text.split(/\r?\n/, 1)[0];
  try {
    const first = JSON.parse(firstLine) as Record<string, unknown>;
    // a one-line `{"channels": [...]}` page is a document, not one channel
    return Array.isArray(first.channels) ? "json" : "ndjson";
  } catch {
    return "json";
  }
}

async function readHead(input: TokenInput, file: string): Promise<string> {
  const stream = input.open();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= SNIFF_BYTES) break;
    }
  } catch (err) {
    throw new TokenSourceError(
      "FILE_UNREADABLE",
      `cannot read token file ${file}: ${(err as Error).message}`,
    );
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, SNIFF_BYTES).toString("utf8");
}
