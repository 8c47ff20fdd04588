import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BrazeClient } from "../client/braze-client";
import type { SegmentDownloadOptions } from "../client/segment-export";
import { lastSix } from "../tokens/errors";
import { DRIFT_EXPORT_FIELDS, heldTokens, type Holder } from "./holder";
import { driftTokenKey, type TokenKey } from "./token-key";
import type { UndeclaredToken } from "./types";

// rows per multi-row statement, and rows written per transaction
const INSERT_ROWS = 100;
const FLUSH_ROWS = 5000;

const SCHEMA = `
CREATE TABLE held (
  key INTEGER NOT NULL,
  chk INTEGER NOT NULL,
  external_id TEXT,
  braze_id TEXT,
  app TEXT NOT NULL,
  last6 TEXT NOT NULL,
  sdk INTEGER NOT NULL,
  import_profile INTEGER NOT NULL,
  declared INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (key, chk)
) WITHOUT ROWID;
`;

interface HeldRow {
  key: number;
  chk: number;
  external_id: string | null;
  braze_id: string | null;
  sdk: number;
  import_profile: number;
}

/**
 * Every push token of the workspace, from one segment export, in a temporary SQLite file keyed
 * by a hash of (app_id, token): who holds it, whether the SDK registered it, whether its profile
 * is an import profile, and whether a declared batch lists it. Tokens are kept only as their
 * last 6 characters, so memory stays flat in the size of the workspace and the file holds no
 * token. `close()` deletes the file.
 */
export class WorkspaceIndex {
  /** Users read from the export. */
  users = 0;
  /** Tokens indexed. */
  tokens = 0;
  private readonly db: Database.Database;
  private readonly inserts = new Map<number, Database.Statement>();
  private readonly selects = new Map<number, Database.Statement>();
  private readonly markStmt: Database.Statement;

  private constructor(private readonly dir: string) {
    this.db = new Database(join(dir, "workspace.sqlite"));
    // a scratch file: nothing to recover after a crash
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.pragma("cache_size = -32000");
    this.db.exec(SCHEMA);
    this.markStmt = this.db.prepare("UPDATE held SET declared = 1 WHERE key = ? AND chk = ?");
  }

  /**
   * Exports the segment (the whole workspace) and indexes every push token, streaming.
   *
   * @param appIds app_id by app name for the apps the declarations name; tokens of other apps
   *   are keyed by `name:<app name>`
   */
  static async build(
    client: BrazeClient,
    segmentId: string,
    appIds: ReadonlyMap<string, string>,
    options: { tempDir?: string; download?: SegmentDownloadOptions } = {},
  ): Promise<WorkspaceIndex> {
    const index = new WorkspaceIndex(
      mkdtempSync(join(options.tempDir ?? tmpdir(), "braze-drift-")),
    );
    try {
      let rows: unknown[] = [];
      const users = client.exportSegment(
        { segmentId, fieldsToExport: [...DRIFT_EXPORT_FIELDS] },
        { ...options.download, tempDir: options.tempDir ?? options.download?.tempDir },
      );
      for await (const user of users) {
        index.users += 1;
        for (const held of heldTokens(user, appIds)) {
          const { key, check } = driftTokenKey(held.appId, held.token);
          const h = held.holder;
          rows.push(
            key,
            check,
            h.externalId,
            h.brazeId ?? null,
            held.appName,
            lastSix(held.token),
            h.sdk ? 1 : 0,
            h.importProfile ? 1 : 0,
          );
        }
        if (rows.length >= FLUSH_ROWS * 8) {
          index.write(rows);
          rows = [];
        }
      }
      index.write(rows);
      return index;
    } catch (err) {
      index.close();
      throw err;
    }
  }

  /**
   * Who holds each of these tokens (undefined: nobody), and marks the held ones as declared so
   * they are not reported undeclared.
   */
  lookupAndMark(keys: readonly TokenKey[]): (Holder | undefined)[] {
    const found = new Map<string, HeldRow>();
    for (let start = 0; start < keys.length; start += INSERT_ROWS) {
      const slice = keys.slice(start, start + INSERT_ROWS);
      const rows = this.select(slice.length).all(...slice.map((k) => k.key)) as HeldRow[];
      for (const row of rows) found.set(`${row.key}:${row.chk}`, row);
    }
    const holders = keys.map((k) => {
      const row = found.get(`${k.key}:${k.check}`);
      if (row === undefined) return undefined;
      return {
        externalId: row.external_id,
        sdk: row.sdk === 1,
        importProfile: row.import_profile === 1,
        brazeId: row.braze_id ?? undefined,
      } satisfies Holder;
    });
    this.mark(keys.filter((k) => found.has(`${k.key}:${k.check}`)));
    return holders;
  }

  /** Marks tokens as declared without looking them up (a batch whose file changed). */
  mark(keys: readonly TokenKey[]): void {
    if (keys.length === 0) return;
    this.db.transaction(() => {
      for (const k of keys) this.markStmt.run(k.key, k.check);
    })();
  }

  /** Tokens of import profiles no declared batch listed: their count and the first `limit`. */
  undeclared(limit: number): { count: number; tokens: UndeclaredToken[] } {
    const where = "WHERE import_profile = 1 AND declared = 0";
    const count = this.db.prepare(`SELECT count(*) FROM held ${where}`).pluck().get() as number;
    const rows = this.db
      .prepare(`SELECT app, last6, braze_id FROM held ${where} ORDER BY app, braze_id LIMIT ?`)
      .all(limit) as { app: string; last6: string; braze_id: string | null }[];
    return {
      count,
      tokens: rows.map((row) => ({
        app: row.app,
        token: row.last6,
        ...(row.braze_id === null ? {} : { brazeId: row.braze_id }),
      })),
    };
  }

  /** Closes and deletes the index. */
  close(): void {
    if (this.db.open) this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private write(args: unknown[]): void {
    const width = 8;
    const total = args.length / width;
    if (total === 0) return;
    this.db.transaction(() => {
      for (let start = 0; start < total; start += INSERT_ROWS) {
        const n = Math.min(INSERT_ROWS, total - start);
        this.insert(n).run(args.slice(start * width, (start + n) * width));
      }
    })();
    this.tokens += total;
  }

  // a token is held by one profile at a time, so a key seen twice is a hash collision or an
  // export that caught a token moving: the later row stands
  private insert(rows: number): Database.Statement {
    let stmt = this.inserts.get(rows);
    if (stmt === undefined) {
      stmt = this.db.prepare(
        `INSERT OR REPLACE INTO held (key, chk, external_id, braze_id, app, last6, sdk,
         import_profile) VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      );
      this.inserts.set(rows, stmt);
    }
    return stmt;
  }

  private select(rows: number): Database.Statement {
    let stmt = this.selects.get(rows);
    if (stmt === undefined) {
      stmt = this.db.prepare(
        `SELECT key, chk, external_id, braze_id, sdk, import_profile FROM held
         WHERE key IN (${Array(rows).fill("?").join(", ")})`,
      );
      this.selects.set(rows, stmt);
    }
    return stmt;
  }
}
