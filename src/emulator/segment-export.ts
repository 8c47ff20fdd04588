import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import type { EmulatorConfig } from "./config";
import {
  fatal,
  isObject,
  type BrazeRoute,
  type RouteContext,
  type RouteResult,
} from "./routes/route";
import { readFieldsToExport } from "./routes/users-export-ids";
import type { Store } from "./store";
import { UserExporter } from "./user-export";

/** Path prefix under which finished archives are served, like Braze's pre-signed URLs. */
export const EXPORT_DOWNLOAD_PREFIX = "/segment-exports/";

/** Where one export stands. */
export interface SegmentExportJob {
  readonly objectPrefix: string;
  readonly segmentId: string;
  readonly file: string;
  /** Set when the archive is written and the ready delay has passed. */
  readyAt?: number;
  /** Set when writing the archive failed. */
  failed?: string;
  /** Set when a reset dropped the job: it stops writing at its next page. */
  cancelled?: boolean;
  users: number;
  files: number;
}

/**
 * Asynchronous segment exports: each request starts a job that writes a ZIP of NDJSON files
 * (one user per line, at most `segmentExportUsersPerFile` users a file) to a temporary folder,
 * page by page from SQLite, so memory stays flat however large the workspace. The URL answers
 * 403 until the archive is complete, then serves it until it expires.
 *
 * Shortcoming: jobs live in memory. An emulator restarted mid-export forgets them and their
 * URLs answer 404; the profiles themselves are kept.
 */
export class SegmentExports {
  private readonly dir = mkdtempSync(join(tmpdir(), "braze-emulator-exports-"));
  private readonly jobs = new Map<string, SegmentExportJob>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly config: EmulatorConfig,
  ) {}

  /** The /users/export/segment endpoint. */
  readonly route: BrazeRoute = {
    permission: "users.export.segment",
    rateGroup: () => "usersExportSegment",
    handle: (ctx) => this.start(ctx),
  };

  /** The job behind a download path's object prefix. */
  job(objectPrefix: string): SegmentExportJob | undefined {
    return this.jobs.get(objectPrefix);
  }

  /** Whether a job is past its expiry. */
  expired(job: SegmentExportJob, now = Date.now()): boolean {
    return (
      job.readyAt !== undefined &&
      now > job.readyAt + this.config.limits.segmentExportExpirySeconds * 1000
    );
  }

  /** Drops every job and its archive (an admin reset); jobs still writing stop. */
  clear(): void {
    for (const job of this.jobs.values()) {
      job.cancelled = true;
      rmSync(job.file, { force: true });
    }
    this.jobs.clear();
  }

  /** Deletes every archive; jobs still writing stop at their next page. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Size of a finished archive, in bytes. */
  size(job: SegmentExportJob): number {
    return statSync(job.file).size;
  }

  private start(ctx: RouteContext): RouteResult {
    const { body } = ctx;
    if (!isObject(body)) return fatal(400, "Bad Request", ["the body must be a JSON object"]);
    if (typeof body.segment_id !== "string") {
      return fatal(400, "'segment_id' is required and must be a string");
    }
    if (body.segment_id !== this.config.allUsersSegmentId) {
      return fatal(
        400,
        `segment_id "${body.segment_id}" is not a segment of this workspace; the emulator has ` +
          `one segment, "${this.config.allUsersSegmentId}", holding every user`,
      );
    }
    if (body.output_format !== undefined && body.output_format !== "zip") {
      return fatal(
        400,
        "'output_format' other than \"zip\" needs the workspace's own cloud storage, which the " +
          "emulator does not model",
      );
    }
    const fields = readFieldsToExport(ctx, body);
    if (fields !== undefined && !Array.isArray(fields)) return fields;

    // expired archives are deleted; their URLs keep answering 403 as Braze's do
    for (const job of this.jobs.values()) {
      if (this.expired(job)) rmSync(job.file, { force: true });
    }

    // one export per segment at a time, and a cap on exports running at once (429 otherwise)
    const running = [...this.jobs.values()].filter((j) => !j.readyAt && !j.failed);
    if (running.some((j) => j.segmentId === body.segment_id)) {
      return fatal(429, `an export of segment "${body.segment_id}" is already running`);
    }
    if (running.length >= this.config.limits.segmentExportsAtOnce) {
      return fatal(429, "too many segment exports are running at once");
    }

    const objectPrefix = `${body.segment_id}-${randomBytes(12).toString("hex")}`;
    const job: SegmentExportJob = {
      objectPrefix,
      segmentId: body.segment_id,
      file: join(this.dir, `${objectPrefix}.zip`),
      users: 0,
      files: 0,
    };
    this.jobs.set(objectPrefix, job);
    this.write(job, fields).catch((err: unknown) => {
      job.failed = err instanceof Error ? err.message : String(err);
    });

    return {
      status: 201,
      body: {
        message: "success",
        object_prefix: objectPrefix,
        url: `${ctx.baseUrl}${EXPORT_DOWNLOAD_PREFIX}${objectPrefix}.zip`,
      },
    };
  }

  private async write(job: SegmentExportJob, fields: string[] | undefined): Promise<void> {
    const started = Date.now();
    const zip = new yazl.ZipFile();
    const written = pipeline(zip.outputStream, createWriteStream(job.file));
    // observed at once: a failed write must not surface as an unhandled rejection
    written.catch(() => undefined);
    try {
      await this.writePages(job, fields, zip, written);
    } catch (err) {
      (zip.outputStream as Readable).destroy();
      throw err;
    }
    await written;

    const ready = started + this.config.limits.segmentExportReadyDelayMs;
    const wait = ready - Date.now();
    if (wait <= 0) {
      job.readyAt = Date.now();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      job.readyAt = Date.now();
    }, wait);
    this.timers.add(timer);
  }

  private async writePages(
    job: SegmentExportJob,
    fields: string[] | undefined,
    zip: yazl.ZipFile,
    written: Promise<void>,
  ): Promise<void> {
    const perFile = this.config.limits.segmentExportUsersPerFile;
    const exporter = new UserExporter(this.store, fields);

    // each entry's content is produced only when yazl reaches it, one page of users at a time,
    // so at most one file's worth of users is in memory
    let after = 0;
    const nextPage = () => {
      if (this.closed || job.cancelled) throw new Error("export stopped: emulator closed or reset");
      const page = this.store.usersPage(after, perFile);
      if (page.length > 0) after = page[page.length - 1].id;
      return page;
    };
    let page = nextPage();
    while (page.length > 0) {
      job.files += 1;
      const lines = page.map((user) => JSON.stringify(exporter.render(user)) + "\n").join("");
      job.users += page.length;
      let consumed!: () => void;
      const done = new Promise<void>((resolve) => (consumed = resolve));
      zip.addReadStream(
        Readable.from(
          (function* () {
            yield lines;
            consumed();
          })(),
        ),
        `${job.objectPrefix}/${job.files}.txt`,
      );

      // read the next page only once yazl has taken this one (or the file write failed)
      await Promise.race([done, written]);
      page = nextPage();
    }
    zip.end();
  }
}
