import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import { checkTransportSecurity } from "./endpoint";
import { BrazeBadRequestError, BrazeMalformedResponseError, BrazeServerError } from "./errors";
import { sleep } from "./rate-limiter";
import { backoffDelay, type RetryPolicy } from "./retry-policy";
import { exportedUserSchema, type ExportedUser } from "./schemas";
import type { BrazeTransport } from "./transport";

/** How a segment export is awaited and downloaded. */
export interface SegmentDownloadOptions {
  /**
   * Time between two checks of the export URL while it answers 403, in ms.
   * @default 5000
   */
  readonly pollIntervalMs?: number;
  /**
   * Time to wait for the export to become ready, in ms.
   * @default 3600000 (1 hour)
   */
  readonly maxWaitMs?: number;
  /**
   * Folder for the temporary copy of the archive (deleted when reading ends).
   * @default os.tmpdir()
   */
  readonly tempDir?: string;
}

/** What the download needs from the client. */
export interface SegmentDownloadContext {
  readonly transport: BrazeTransport;
  readonly timeoutMs: number;
  readonly policy: RetryPolicy;
}

/**
 * Waits for a segment export, downloads its ZIP to a temporary file and yields each user of its
 * NDJSON files, line by line. The archive is never held in memory; the temporary folder is
 * removed when the generator ends, fails or is abandoned (`return()` from `for await ... break`).
 *
 * The URL is a pre-signed download: it is fetched without the API key, must be https (or http to
 * loopback), and appears in messages without its query string, which may hold a signature.
 *
 * @throws BrazeServerError when the export is not ready within `maxWaitMs`, or the download
 *   keeps failing
 * @throws BrazeMalformedResponseError naming the file and line of an unreadable user
 */
export async function* streamSegmentExport(
  context: SegmentDownloadContext,
  url: string,
  options: SegmentDownloadOptions,
  random: () => number,
): AsyncGenerator<ExportedUser, void, undefined> {
  const parsed = new URL(url);
  checkTransportSecurity(parsed, "the segment export URL");
  const shown = `${parsed.origin}${parsed.pathname}`;

  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "braze-segment-export-"));
  try {
    const file = join(dir, "export.zip");
    await download(context, url, shown, file, options, random);

    for await (const { entry, line, text } of zipLines(file)) {
      let user: ExportedUser;
      try {
        user = exportedUserSchema.parse(JSON.parse(text));
      } catch (err) {
        // the line holds tokens: name where it is, never what it holds
        const issue = err instanceof SyntaxError ? "not JSON" : "not a user object as documented";
        throw new BrazeMalformedResponseError(
          `line ${line} of ${entry} in the segment export ${shown} is ${issue}; the archive ` +
            "may be damaged: start the export again",
          [`${entry}:${line}: ${issue}`],
          { endpoint: "/users/export/segment" },
        );
      }
      yield user;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// polls until the URL stops answering 403, then writes the archive to `file`
async function download(
  context: SegmentDownloadContext,
  url: string,
  shown: string,
  file: string,
  options: SegmentDownloadOptions,
  random: () => number,
): Promise<void> {
  const pollMs = options.pollIntervalMs ?? 5000;
  const deadline = Date.now() + (options.maxWaitMs ?? 3_600_000);
  let failures = 0;
  let lastFailure = "";

  for (;;) {
    let status: number | undefined;
    let body: Readable | undefined;
    try {
      const res = await context.transport.request({
        method: "GET",
        url,
        headers: { accept: "application/zip" },
        timeoutMs: context.timeoutMs,
      });
      status = res.status;
      body = res.body;
      if (status === 200) {
        await pipeline(body, createWriteStream(file));
        return;
      }
      body.resume();
    } catch (err) {
      // a GET is safe to repeat: a lost connection or a cut-off download starts over
      body?.destroy();
      lastFailure = err instanceof Error ? err.message.split("?")[0] : String(err);
    }

    if (status === 403) {
      // not ready yet (or expired: the deadline tells them apart)
      if (Date.now() + pollMs > deadline) {
        throw new BrazeServerError(
          `the segment export ${shown} was not ready within maxWaitMs=${options.maxWaitMs ?? 3_600_000}: ` +
            "large segments take longer, raise maxWaitMs; an export URL also answers 403 once " +
            "it has expired (after a few hours), then start a new export",
          { endpoint: "/users/export/segment", status },
        );
      }
      await sleep(pollMs);
      continue;
    }
    if (status !== undefined && status < 500 && status !== 429) {
      throw new BrazeBadRequestError(
        `the segment export ${shown} answered ${status}: the URL is wrong or no longer served; ` +
          "start a new export",
        `HTTP ${status}`,
        [],
        { endpoint: "/users/export/segment", status },
      );
    }

    failures += 1;
    if (status !== undefined) lastFailure = `HTTP ${status}`;
    if (failures >= context.policy.maxAttempts || Date.now() > deadline) {
      throw new BrazeServerError(
        `downloading the segment export ${shown} failed ${failures} times (last: ` +
          `${lastFailure}); start a new export later`,
        { endpoint: "/users/export/segment", status, attempts: failures },
      );
    }
    await sleep(backoffDelay(failures, context.policy, random));
  }
}

/** One line of one NDJSON file inside the archive. */
interface ZipLine {
  readonly entry: string;
  readonly line: number;
  readonly text: string;
}

// the non-empty lines of every file in a ZIP, one entry open at a time
async function* zipLines(file: string): AsyncGenerator<ZipLine, void, undefined> {
  const zip = await openZip(file);
  try {
    for (;;) {
      const entry = await nextEntry(zip);
      if (entry === undefined) return;
      if (entry.fileName.endsWith("/")) continue;

      const stream = await openEntry(zip, entry);
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      try {
        let line = 0;
        for await (const text of lines) {
          line += 1;
          if (text.trim() !== "") yield { entry: entry.fileName, line, text };
        }
      } finally {
        lines.close();
        stream.destroy();
      }
    }
  } finally {
    zip.close();
  }
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (!err) return resolve(zip);
      reject(
        new BrazeMalformedResponseError(
          `the segment export is not a readable ZIP archive (${err.message}): start the ` +
            "export again",
          [err.message],
          { endpoint: "/users/export/segment", cause: err },
        ),
      );
    });
  });
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const done = () => {
      zip.off("entry", onEntry);
      zip.off("end", onEnd);
      zip.off("error", onError);
    };
    const onEntry = (entry: yauzl.Entry) => {
      done();
      resolve(entry);
    };
    const onEnd = () => {
      done();
      resolve(undefined);
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    zip.on("entry", onEntry);
    zip.on("end", onEnd);
    zip.on("error", onError);
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) reject(err);
      else resolve(stream);
    });
  });
}
