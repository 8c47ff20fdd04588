import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/**
 * Where one token of an import stands.
 *
 * - `sent`: in a request whose answer has not been recorded (a crash leaves it here);
 * - `accepted`: Braze answered success for its object;
 * - `rejected`: Braze refused its object with an error item (`code` says why);
 * - `unknown`: the request's outcome could not be known (connection dropped after sending and
 *   the request was not safe to re-send).
 */
export type TokenOutcome = "sent" | "accepted" | "rejected" | "unknown";

/** What identifies an import: a ledger refuses to be reused for another one. */
export interface LedgerIdentity {
  /** Digest of the normalised token file. */
  readonly sourceDigest: string;
  readonly appId: string;
  readonly mode: "identified" | "anonymous";
}

/** Counts of tokens per outcome. */
export type LedgerCounts = Record<TokenOutcome, number>;

/** A rejection kept in the ledger: the file line and Braze's error type. */
export interface LedgerRejection {
  readonly line: number;
  readonly code: string;
}

/** Raised when a ledger file belongs to another import or cannot be used. */
export class LedgerError extends Error {
  /** Stable code to branch on. */
  readonly code = "LEDGER_MISMATCH";

  constructor(message: string) {
    super(message);
    this.name = "LedgerError";
  }
}

/**
 * SHA-256 of a push token, hex: the only form in which a ledger names a token, so a ledger file
 * can sit in CI artifacts without holding a token.
 */
export function tokenKey(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

// rows per multi-row write: 6 parameters a row, far below SQLite's variable limit
const WRITE_ROWS = 100;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  line INTEGER PRIMARY KEY,
  token_key TEXT NOT NULL,
  outcome TEXT NOT NULL,
  code TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
`;

/**
 * The record of one import in SQLite: each token's outcome, keyed by its line in the file (the
 * ledger belongs to one file digest, so a line always holds the same row) and checked against
 * `tokenKey(token)`. Lines arrive in file order, so writes append rather than land all over a
 * B-tree. A killed import opens the same ledger again and skips what Braze confirmed (accepted
 * or rejected); what was `sent` without an answer is known to be in doubt.
 *
 * Writes are synchronous and each `record*` call is one transaction, so a process killed at any
 * point leaves every earlier call on disk (WAL, synchronous=NORMAL: safe against a killed
 * process, not against a power cut).
 */
export class Ledger {
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly upserts = new Map<number, Database.Statement>();

  private constructor(
    readonly path: string,
    db: Database.Database,
  ) {
    this.db = db;
    this.stmt = {
      get: db.prepare("SELECT token_key, outcome FROM tokens WHERE line = ?"),
      counts: db.prepare("SELECT outcome, count(*) AS n FROM tokens GROUP BY outcome"),
      forget: db.prepare("DELETE FROM tokens WHERE line = ?"),
      any: db.prepare("SELECT 1 FROM tokens LIMIT 1").pluck(),
      inDoubt: db.prepare(
        "SELECT line FROM tokens WHERE outcome IN ('sent', 'unknown') ORDER BY line LIMIT ?",
      ),
      rejections: db.prepare(
        "SELECT line, code FROM tokens WHERE outcome = 'rejected' ORDER BY line LIMIT ?",
      ),
    };
  }

  /**
   * Opens (or creates) the ledger at `path` for one import.
   *
   * @throws LedgerError when the file records another import (another file digest, app or mode)
   */
  static open(path: string, identity: LedgerIdentity): Ledger {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA);

    const read = db.prepare("SELECT value FROM meta WHERE key = 'identity'").pluck();
    const stored = read.get() as string | undefined;
    const wanted = JSON.stringify(identity);
    if (stored === undefined) {
      db.prepare("INSERT INTO meta (key, value) VALUES ('identity', ?)").run(wanted);
    } else if (stored !== wanted) {
      db.close();
      const was = JSON.parse(stored) as LedgerIdentity;
      throw new LedgerError(
        `ledger ${path} records another import (file digest ${was.sourceDigest.slice(0, 12)}…, ` +
          `app ${was.appId}, ${was.mode}); this one is digest ${identity.sourceDigest.slice(0, 12)}…, ` +
          `app ${identity.appId}, ${identity.mode}: use another --ledger path or delete that file`,
      );
    }
    return new Ledger(path, db);
  }

  /**
   * The outcome recorded for the token on `line`, if any.
   *
   * @throws LedgerError when the ledger holds another token for that line (the file changed)
   */
  outcome(line: number, key: string): TokenOutcome | undefined {
    const row = this.stmt.get.get(line) as { token_key: string; outcome: TokenOutcome } | undefined;
    if (row === undefined) return undefined;
    if (row.token_key !== key) {
      throw new LedgerError(
        `ledger ${this.path} holds another token for line ${line} than the file does now: ` +
          "the file changed since the ledger was written; use another --ledger path",
      );
    }
    return row.outcome;
  }

  /** Whether the ledger records nothing yet (a first run: no lookups needed). */
  isEmpty(): boolean {
    return this.stmt.any.get() === undefined;
  }

  /** Whether Braze confirmed the token either way, so a resumed import must not send it again. */
  isSettled(line: number, key: string): boolean {
    const outcome = this.outcome(line, key);
    return outcome === "accepted" || outcome === "rejected";
  }

  /** Records that these tokens go out in a request now (before it is sent). */
  recordSent(tokens: readonly { key: string; line: number }[]): void {
    this.write(tokens.map((t) => ({ ...t, outcome: "sent" as const, attempts: 1 })));
  }

  /** Records the outcome Braze gave (or could not give) for these tokens. */
  recordOutcome(
    tokens: readonly { key: string; line: number; outcome: TokenOutcome; code?: string }[],
  ): void {
    this.write(tokens.map((t) => ({ ...t, attempts: 0 })));
  }

  /** Drops what is recorded of the tokens on these lines: their request was proven not applied. */
  forget(lines: readonly number[]): void {
    this.db.transaction(() => {
      for (const line of lines) this.stmt.forget.run(line);
    })();
  }

  /** Tokens per outcome; every token recorded is counted exactly once. */
  counts(): LedgerCounts {
    const counts: LedgerCounts = { sent: 0, accepted: 0, rejected: 0, unknown: 0 };
    for (const row of this.stmt.counts.all() as { outcome: TokenOutcome; n: number }[]) {
      counts[row.outcome] = row.n;
    }
    return counts;
  }

  /** Lines of the first `limit` tokens whose outcome is in doubt (`sent` or `unknown`). */
  linesInDoubt(limit = 20): number[] {
    return (this.stmt.inDoubt.all(limit) as { line: number }[]).map((row) => row.line);
  }

  /** The first `limit` rejections, by line. */
  rejections(limit = 20): LedgerRejection[] {
    return this.stmt.rejections.all(limit) as LedgerRejection[];
  }

  /** Closes the file. */
  close(): void {
    this.db.close();
  }

  private write(
    rows: readonly {
      key: string;
      line: number;
      outcome: TokenOutcome;
      code?: string;
      attempts: number;
    }[],
  ): void {
    // one multi-row statement per request's worth of rows: one transaction, one statement
    const now = Date.now();
    for (let start = 0; start < rows.length; start += WRITE_ROWS) {
      const chunk = rows.slice(start, start + WRITE_ROWS);
      const args: unknown[] = [];
      for (const r of chunk) args.push(r.line, r.key, r.outcome, r.code ?? null, r.attempts, now);
      this.upsert(chunk.length).run(...args);
    }
  }

  private upsert(rows: number): Database.Statement {
    let stmt = this.upserts.get(rows);
    if (stmt === undefined) {
      stmt = this.db.prepare(
        `INSERT INTO tokens (line, token_key, outcome, code, attempts, updated_at)
         VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?)").join(", ")}
         ON CONFLICT(line) DO UPDATE SET token_key = excluded.token_key,
         outcome = excluded.outcome, code = excluded.code,
         attempts = tokens.attempts + excluded.attempts, updated_at = excluded.updated_at`,
      );
      this.upserts.set(rows, stmt);
    }
    return stmt;
  }
}
