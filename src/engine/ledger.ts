import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { hash52 } from "../tokens/hash";

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
 * A 52-bit hash of a push token: the only form in which a ledger names a token, so a ledger file
 * can sit in CI artifacts without holding a token. It only checks that a line still holds the
 * token the ledger recorded for it (the file digest already ties the ledger to the content), so
 * 52 bits are plenty, and it costs a fraction of a SHA-256.
 */
export function tokenKey(token: string): number {
  return hash52(token);
}

/** The layout of the ledger file; a ledger of another layout is refused, not misread. */
const LEDGER_SCHEMA = "2";

// rows per multi-row write: 4 parameters a row, far below SQLite's variable limit
const WRITE_ROWS = 100;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  line INTEGER PRIMARY KEY,
  token_key INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  code TEXT
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
      range: db.prepare(
        "SELECT line, token_key, outcome FROM tokens WHERE line BETWEEN ? AND ? ORDER BY line",
      ),
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

    const schema = db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck();
    const layout = schema.get() as string | undefined;
    const fresh = db.prepare("SELECT 1 FROM meta LIMIT 1").get() === undefined;
    if (fresh) {
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(LEDGER_SCHEMA);
    } else if (layout !== LEDGER_SCHEMA) {
      db.close();
      throw new LedgerError(
        `ledger ${path} was written by another version of braze-push-migrate (layout ` +
          `${layout ?? "1"}, this one reads ${LEDGER_SCHEMA}); delete it to start the import's ` +
          "record afresh (anonymous tokens sent again are ignored by Braze; identified rows are " +
          "rewritten with the same values)",
      );
    }

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
   * Opens an existing ledger read-only, for checks that must not write (drift): nothing is
   * created, and a ledger of another layout or another import is refused.
   *
   * @throws LedgerError when the file is absent, unreadable, of another layout, or records
   *   another import (another file digest, app or mode)
   */
  static openReadOnly(path: string, identity: LedgerIdentity): Ledger {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new LedgerError(
        `ledger ${path} cannot be opened (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    try {
      const meta = (key: string) =>
        db.prepare("SELECT value FROM meta WHERE key = ?").pluck().get(key) as string | undefined;
      const layout = meta("schema");
      if (layout !== LEDGER_SCHEMA) {
        throw new LedgerError(
          `ledger ${path} has layout ${layout ?? "1"}, this version reads ${LEDGER_SCHEMA}`,
        );
      }
      const stored = meta("identity");
      if (stored !== JSON.stringify(identity)) {
        throw new LedgerError(
          `ledger ${path} records another import than file digest ` +
            `${identity.sourceDigest.slice(0, 12)}…, app ${identity.appId}, ${identity.mode}`,
        );
      }
    } catch (err) {
      db.close();
      if (err instanceof LedgerError) throw err;
      throw new LedgerError(`ledger ${path} is not a ledger of braze-push-migrate`);
    }
    return new Ledger(path, db);
  }

  /**
   * The outcome recorded for the token on `line`, if any.
   *
   * @throws LedgerError when the ledger holds another token for that line (the file changed)
   */
  outcome(line: number, key: number): TokenOutcome | undefined {
    const row = this.stmt.get.get(line) as { token_key: number; outcome: TokenOutcome } | undefined;
    if (row === undefined) return undefined;
    if (row.token_key !== key) throw this.otherToken(line);
    return row.outcome;
  }

  /**
   * The outcomes recorded for a run of tokens in line order, one query for all of them.
   *
   * @throws LedgerError when the ledger holds another token for one of the lines
   */
  outcomes(tokens: readonly { line: number; key: number }[]): (TokenOutcome | undefined)[] {
    if (tokens.length === 0) return [];
    const recorded = new Map<number, { token_key: number; outcome: TokenOutcome }>();
    const rows = this.stmt.range.all(tokens[0].line, tokens[tokens.length - 1].line) as {
      line: number;
      token_key: number;
      outcome: TokenOutcome;
    }[];
    for (const row of rows) recorded.set(row.line, row);
    return tokens.map(({ line, key }) => {
      const row = recorded.get(line);
      if (row === undefined) return undefined;
      if (row.token_key !== key) throw this.otherToken(line);
      return row.outcome;
    });
  }

  /** Whether the ledger records nothing yet (a first run: no lookups needed). */
  isEmpty(): boolean {
    return this.stmt.any.get() === undefined;
  }

  /** Whether Braze confirmed the token either way, so a resumed import must not send it again. */
  isSettled(line: number, key: number): boolean {
    const outcome = this.outcome(line, key);
    return outcome === "accepted" || outcome === "rejected";
  }

  /** Records that these tokens go out in a request now (before it is sent). */
  recordSent(tokens: readonly { key: number; line: number }[]): void {
    this.write(tokens, "sent");
  }

  /** Records the outcome Braze gave (or could not give) for these tokens. */
  recordOutcome(
    tokens: readonly { key: number; line: number; outcome: TokenOutcome; code?: string }[],
  ): void {
    this.write(tokens);
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
    tokens: readonly { key: number; line: number; outcome?: TokenOutcome; code?: string }[],
    outcome?: TokenOutcome,
  ): void {
    // one multi-row statement per request's worth of rows: one transaction, few statements
    this.db.transaction(() => {
      for (let start = 0; start < tokens.length; start += WRITE_ROWS) {
        const end = Math.min(start + WRITE_ROWS, tokens.length);
        const args: (number | string | null)[] = [];
        for (let i = start; i < end; i++) {
          const t = tokens[i];
          args.push(t.line, t.key, outcome ?? t.outcome ?? "sent", t.code ?? null);
        }
        this.upsert(end - start).run(args);
      }
    })();
  }

  private otherToken(line: number): LedgerError {
    return new LedgerError(
      `ledger ${this.path} holds another token for line ${line} than the file does now: ` +
        "the file changed since the ledger was written; use another --ledger path",
    );
  }

  private upsert(rows: number): Database.Statement {
    let stmt = this.upserts.get(rows);
    if (stmt === undefined) {
      stmt = this.db.prepare(
        `INSERT INTO tokens (line, token_key, outcome, code)
         VALUES ${Array(rows).fill("(?, ?, ?, ?)").join(", ")}
         ON CONFLICT(line) DO UPDATE SET token_key = excluded.token_key,
         outcome = excluded.outcome, code = excluded.code`,
      );
      this.upserts.set(rows, stmt);
    }
    return stmt;
  }
}
