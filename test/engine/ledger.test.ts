import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Ledger, LedgerError, tokenKey } from "../../src/engine/ledger";

const IDENTITY = { sourceDigest: "a".repeat(64), appId: "app-1", mode: "anonymous" as const };

describe("Ledger", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ledger-test-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("counts each token once, by its latest outcome", () => {
    const ledger = Ledger.open(join(dir, "l.sqlite"), IDENTITY);
    const a = { key: tokenKey("token-a"), line: 2 };
    const b = { key: tokenKey("token-b"), line: 3 };
    const c = { key: tokenKey("token-c"), line: 4 };

    ledger.recordSent([a, b, c]);
    ledger.recordOutcome([
      { ...a, outcome: "accepted" },
      { ...b, outcome: "rejected", code: "BAD_PUSH_TOKEN_APP_ID" },
    ]);

    expect(ledger.counts()).toEqual({ sent: 1, accepted: 1, rejected: 1, unknown: 0 });
    expect(ledger.rejections()).toEqual([{ line: 3, code: "BAD_PUSH_TOKEN_APP_ID" }]);
    expect(ledger.linesInDoubt()).toEqual([4]);
    ledger.close();
  });

  it("keeps what was recorded when opened again, and tells settled tokens apart", () => {
    const path = join(dir, "nested", "l.sqlite");
    const first = Ledger.open(path, IDENTITY);
    first.recordSent([
      { key: tokenKey("x"), line: 2 },
      { key: tokenKey("y"), line: 3 },
    ]);
    first.recordOutcome([{ key: tokenKey("x"), line: 2, outcome: "accepted" }]);
    first.close();

    const again = Ledger.open(path, IDENTITY);
    expect(again.isSettled(2, tokenKey("x"))).toBe(true);
    expect(again.isSettled(3, tokenKey("y"))).toBe(false);
    expect(again.outcome(3, tokenKey("y"))).toBe("sent");
    expect(again.outcome(4, tokenKey("z"))).toBeUndefined();
    expect(() => again.outcome(2, tokenKey("another"))).toThrow(/holds another token for line 2/);
    again.close();
  });

  it("refuses a ledger that records another import", () => {
    const path = join(dir, "l.sqlite");
    Ledger.open(path, IDENTITY).close();

    expect(() => Ledger.open(path, { ...IDENTITY, mode: "identified" })).toThrow(LedgerError);
    expect(() => Ledger.open(path, { ...IDENTITY, sourceDigest: "b".repeat(64) })).toThrow(
      /records another import .* use another --ledger path or delete that file/,
    );
  });

  it("refuses a ledger written in another layout instead of misreading it", () => {
    // a ledger of an earlier version: an identity but no layout record
    const path = join(dir, "old.sqlite");
    const db = new Database(path);
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    db.prepare("INSERT INTO meta VALUES ('identity', ?)").run(JSON.stringify(IDENTITY));
    db.close();
    expect(() => Ledger.open(path, IDENTITY)).toThrow(/another version.*delete it/);
  });

  it("reads the outcomes of a run of lines at once, and checks each line's token", () => {
    const ledger = Ledger.open(join(dir, "l.sqlite"), IDENTITY);
    ledger.recordOutcome([
      { key: tokenKey("a"), line: 2, outcome: "accepted" },
      { key: tokenKey("c"), line: 4, outcome: "rejected", code: "x" },
    ]);
    const run = [2, 3, 4].map((line, i) => ({ line, key: tokenKey("abc"[i]) }));
    expect(ledger.outcomes(run)).toEqual(["accepted", undefined, "rejected"]);
    expect(() => ledger.outcomes([{ line: 2, key: tokenKey("z") }])).toThrow(
      /holds another token for line 2/,
    );
    ledger.close();
  });

  it("never writes a token into the file", () => {
    const path = join(dir, "l.sqlite");
    const token = "f00dcafe:APA91bSECRET-looking-token-value-0123456789";
    const ledger = Ledger.open(path, IDENTITY);
    ledger.recordSent([{ key: tokenKey(token), line: 2 }]);
    ledger.recordOutcome([{ key: tokenKey(token), line: 2, outcome: "accepted" }]);
    ledger.close();

    const bytes = readFileSync(path).toString("latin1");
    expect(bytes).not.toContain(token);
    expect(bytes).not.toContain("APA91bSECRET");
  });
});
