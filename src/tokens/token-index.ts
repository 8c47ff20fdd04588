/**
 * Remembers which tokens a read has seen, to collapse repeats and catch a token claimed by two
 * users, without holding the tokens in the JS heap: a file of 5,000,000 tokens would need
 * about 1 GB there. The index is a temporary on-disk SQLite database (deleted when closed)
 * keyed by 64 bits of each token's SHA-256; no token is stored.
 */
import * as crypto from "node:crypto";
import Database from "better-sqlite3";

/** What the index knew about a token before this row. */
export type Sighting =
  | { readonly kind: "new" }
  | { readonly kind: "duplicate"; readonly line: number }
  | { readonly kind: "conflict"; readonly line: number; readonly sameOwner: boolean };

// commit in batches: one transaction per row would make inserts disk-bound
const ROWS_PER_TRANSACTION = 10_000;
// SQLite page cache in KiB (negative = KiB): enough to keep inserts fast, small next to 200 MB
const CACHE_KIB = 32 * 1024;

/** A set of token hashes with the owner, row hash and line of the first row of each token. */
export class TokenIndex {
  private readonly db: Database.Database;
  private readonly find: Database.Statement<[bigint], { owner: bigint; row: bigint; line: bigint }>;
  private readonly insert: Database.Statement<[bigint, bigint, bigint, number]>;
  private pending = 0;

  constructor() {
    // "" opens a private temporary database on disk that SQLite deletes when it is closed
    this.db = new Database("");
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.pragma(`cache_size = -${CACHE_KIB}`);
    // an integer primary key is the rowid itself: the smallest and fastest table SQLite has
    this.db.exec(
      "CREATE TABLE seen (token INTEGER PRIMARY KEY, owner INTEGER NOT NULL, row INTEGER NOT NULL, line INTEGER NOT NULL)",
    );
    this.find = this.db.prepare<[bigint], { owner: bigint; row: bigint; line: bigint }>(
      "SELECT owner, row, line FROM seen WHERE token = ?",
    );
    this.find.safeIntegers(true);
    this.insert = this.db.prepare(
      "INSERT INTO seen (token, owner, row, line) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    );
    this.db.exec("BEGIN");
  }

  /**
   * Records a row's token and says whether an earlier row had it. `owner` is the external_id
   * (or "" for none) and `row` the row's normalised content.
   *
   * The key is 64 bits of the token's SHA-256: two different tokens share one with a chance of
   * about 1 in 10^6 in a file of 5,000,000. Such a pair would show up as a rejected conflict,
   * never as a silently collapsed duplicate, since that also needs equal row hashes.
   *
   * TODO (perf): SQLite costs about 6-10 µs per token here, so a read with this index runs at
   * roughly 25,000-40,000 rows/s (5,000,000 rows: 3.5 min), below the 75,000 tokens/s
   * rate-limit ceiling. An importer that must fill the ceiling should read in a worker thread
   * or validate ahead of sending.
   */
  see(token: string, owner: string, row: string, line: number): Sighting {
    const key = sha256(token).readBigInt64LE(0);
    // owner and row are only compared between rows of one token: a fast 53-bit hash will do
    const ownerHash = BigInt(quickHash(owner));
    const rowHash = BigInt(quickHash(row));

    // most tokens are new: try the insert first and look up only when it did nothing
    if (this.insert.run(key, ownerHash, rowHash, line).changes === 1) {
      if (++this.pending >= ROWS_PER_TRANSACTION) {
        this.db.exec("COMMIT; BEGIN");
        this.pending = 0;
      }
      return { kind: "new" };
    }

    const earlier = this.find.get(key);
    if (earlier === undefined) throw new Error("token index lost a row it refused as a repeat");
    const earlierLine = Number(earlier.line);
    if (earlier.row === rowHash) return { kind: "duplicate", line: earlierLine };
    return { kind: "conflict", line: earlierLine, sameOwner: earlier.owner === ownerHash };
  }

  /** Drops the index and its file. */
  close(): void {
    if (!this.db.open) return;
    if (this.db.inTransaction) this.db.exec("COMMIT");
    this.db.close();
  }
}

// crypto.hash (Node 20.12+) skips the Hash object, which costs more than the hashing itself
const oneShot = (
  crypto as { hash?: (algorithm: string, data: string, encoding: "buffer") => Buffer }
).hash;

// a 52-bit hash for comparing owners and rows of one token: an FNV-1a pass and a second
// multiplicative pass over the same characters, combined into a number JavaScript holds exactly
function quickHash(value: string): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

function sha256(value: string): Buffer {
  return oneShot
    ? oneShot("sha256", value, "buffer")
    : crypto.createHash("sha256").update(value).digest();
}
