import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  normalisedRow,
  readTokenSource,
  scanTokenFile,
  validateTokenFile,
  type TokenRow,
} from "../../src/tokens";
import { hash52, hashParts } from "../../src/tokens/hash";
import { RepeatFinder } from "../../src/tokens/repeat-finder";
import { apnsToken } from "../helpers";

let dir: string;
// temporary files go to a folder of this test file's own: other test files (and other runs)
// make theirs in the system's at the same time, and the checks below look for leftovers
let temp: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "braze-repeats-"));
  temp = join(dir, "tmp");
  mkdirSync(temp);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// a small deterministic generator, so a failure can be replayed
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

describe("repeats across a whole file", () => {
  it("finds every duplicate and conflict a naive in-memory model finds, in any partition", async () => {
    // GIVEN 20,000 rows drawn from 6,000 tokens: exact repeats, repeats for another user and
    // repeats with another device_id, spread through the file
    const next = random(42);
    const tokens = Array.from({ length: 6000 }, (_, i) => apnsToken(i));
    const lines = ["token,external_id,device_id"];
    const rows: { token: string; owner: string; device: string }[] = [];
    for (let i = 0; i < 20_000; i++) {
      const token = tokens[Math.floor(next() * 6000)];
      const owner = `u-${Math.floor(next() * 3)}`;
      const device = next() < 0.5 ? "device-0001" : "device-0002";
      rows.push({ token, owner, device });
      lines.push(`${token},${owner},${device}`);
    }
    const file = join(dir, "many-repeats.csv");
    writeFileSync(file, lines.join("\n") + "\n");

    // the model: the first row of a token stands; a later one is a duplicate when identical
    const first = new Map<string, { owner: string; device: string; line: number }>();
    const expected = { valid: 0, duplicates: 0, claimed: 0, differently: 0 };
    const expectedRejections: [string, number, number][] = [];
    rows.forEach((row, i) => {
      const line = i + 2;
      const earlier = first.get(row.token);
      if (earlier === undefined) {
        first.set(row.token, { ...row, line });
        expected.valid++;
      } else if (earlier.owner === row.owner && earlier.device === row.device) {
        expected.duplicates++;
      } else {
        const code =
          earlier.owner === row.owner ? "TOKEN_REPEATED_DIFFERENTLY" : "TOKEN_CLAIMED_TWICE";
        if (code === "TOKEN_CLAIMED_TWICE") expected.claimed++;
        else expected.differently++;
        expectedRejections.push([code, line, earlier.line]);
      }
    });

    // WHEN the file is scanned, then read with the scan
    const scan = await scanTokenFile({ file, platform: "ios", mode: "identified" });
    const source = readTokenSource({ file, platform: "ios", mode: "identified" }, scan);
    const read: TokenRow[] = [];
    for await (const chunk of source.chunks()) read.push(...chunk);

    // THEN both agree with the model, row for row
    const report = scan.report;
    expect(report.counts).toMatchObject({
      rowsRead: 20_000,
      valid: expected.valid,
      duplicates: expected.duplicates,
      rejected: expected.claimed + expected.differently,
    });
    expect(report.rejectedByCode).toEqual({
      TOKEN_CLAIMED_TWICE: expected.claimed,
      TOKEN_REPEATED_DIFFERENTLY: expected.differently,
    });
    expect(report.rejections.map((r) => [r.code, r.line, r.otherLine])).toEqual(
      expectedRejections.slice(0, 100),
    );
    expect(report.rejections[0].value).toBe(
      `…${rows[expectedRejections[0][1] - 2].token.slice(-6)}`,
    );
    expect(read.map((r) => r.line)).toEqual([...first.values()].map((f) => f.line));
    expect(source.report()).toEqual(report);
  });

  it("reads without a scan by scanning first, and leaves no temporary file behind", async () => {
    const file = join(dir, "small.csv");
    writeFileSync(
      file,
      ["token,external_id", `${apnsToken(1)},u-1`, `${apnsToken(1)},u-1`, `${apnsToken(2)},u-2`]
        .join("\n")
        .concat("\n"),
    );
    const before = leftovers();
    const source = readTokenSource({ file, platform: "ios", mode: "identified", tempDir: temp });
    const lines: number[] = [];
    for await (const row of source) lines.push(row.line);
    expect(lines).toEqual([2, 4]);
    expect(source.report().counts).toMatchObject({ valid: 2, duplicates: 1 });
    expect(leftovers()).toEqual(before);
  });

  it("notices a file that changed between the scan and the read", async () => {
    const file = join(dir, "changing.csv");
    writeFileSync(file, `token,external_id\n${apnsToken(1)},u-1\n`);
    const scan = await scanTokenFile({ file, platform: "ios", mode: "identified" });
    writeFileSync(file, `token,external_id\n${apnsToken(2)},u-1\n`);
    const source = readTokenSource({ file, platform: "ios", mode: "identified" }, scan);
    for await (const row of source) void row;
    expect(source.report().digest).not.toBe(scan.report.digest);
  });

  it("keeps the first rejections by line when a repeat is found after later rule failures", async () => {
    // repeats are judged after the whole file; rule failures as rows are read
    const file = join(dir, "order.csv");
    const lines = ["token,external_id", `${apnsToken(1)},u-1`, `${apnsToken(1)},u-2`];
    for (let i = 0; i < 5; i++) lines.push(`not-a-token-${i},u-${i}`);
    writeFileSync(file, lines.join("\n") + "\n");
    const report = await validateTokenFile({
      file,
      platform: "ios",
      mode: "identified",
      keepIssues: 3,
    });
    expect(report.rejections.map((r) => [r.code, r.line])).toEqual([
      ["TOKEN_CLAIMED_TWICE", 3],
      ["APNS_NOT_HEX", 4],
      ["APNS_NOT_HEX", 5],
    ]);
    expect(report.counts.rejected).toBe(6);
  });
});

describe("the repeat finder's temporary files", () => {
  it("hold hashes and last-6 characters, never a whole token, and are gone after close", () => {
    const before = new Set(leftovers());
    const finder = new RepeatFinder(temp);
    const tokens = Array.from({ length: 3000 }, (_, i) => apnsToken(i));
    tokens.forEach((token, i) => finder.add(token, "u-1", `["${token}"]`, i + 2));
    finder.add(tokens[0], "u-2", `["${tokens[0]}","x"]`, 3002);
    const conflicts: unknown[] = [];
    const found = finder.finish((c) => conflicts.push(c));

    const mine = leftovers().filter((name) => !before.has(name));
    expect(mine).toHaveLength(1);
    const files = readdirSync(join(temp, mine[0]));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const bytes = readFileSync(join(temp, mine[0], name)).toString("latin1");
      for (const token of tokens.slice(0, 50)) expect(bytes).not.toContain(token);
    }
    expect(found.lines).toEqual(new Uint32Array([3002]));
    expect(conflicts).toEqual([
      { line: 3002, otherLine: 2, sameOwner: false, lastSix: `…${tokens[0].slice(-6)}` },
    ]);
    finder.close();
    expect(leftovers().filter((name) => !before.has(name))).toEqual([]);
  });
});

describe("the fast hashes", () => {
  it("give 50,000 distinct tokens 50,000 distinct 64-bit and 52-bit values", () => {
    // tokens that differ in a few characters only: the hard case for a weak hash
    const wide = new Set<string>();
    const narrow = new Set<number>();
    for (let i = 0; i < 50_000; i++) {
      const token = i.toString(16).padStart(64, "0");
      const [hi, lo] = hashParts(token);
      wide.add(`${hi}:${lo}`);
      narrow.add(hash52(token));
    }
    expect(wide.size).toBe(50_000);
    expect(narrow.size).toBe(50_000);
  });

  it("flip about half of the bits when one character changes", () => {
    let flipped = 0;
    const trials = 2000;
    for (let i = 0; i < trials; i++) {
      const token = apnsToken(i);
      const other = token.slice(0, 30) + (token[30] === "a" ? "b" : "a") + token.slice(31);
      const [a1, b1] = hashParts(token);
      const [a2, b2] = hashParts(other);
      flipped += bits(a1 ^ a2) + bits(b1 ^ b2);
    }
    const share = flipped / (trials * 64);
    expect(share).toBeGreaterThan(0.47);
    expect(share).toBeLessThan(0.53);
  });
});

describe("the normalised row", () => {
  it("is exactly the JSON array of the row's fields, attributes with sorted keys", () => {
    const rows: Omit<TokenRow, "line">[] = [
      { token: apnsToken(1), customAttributes: {} },
      {
        token: 'odd"token\\with\u0001controls',
        externalId: 'ü-"1"',
        deviceId: "device\n0001",
        email: "a@b.example",
        country: "DE",
        language: "de",
        customAttributes: { zeta: 1, alpha: { b: [1, "x"], a: null } },
      },
    ];
    for (const row of rows) {
      expect(normalisedRow(row)).toBe(
        JSON.stringify([
          row.token,
          row.externalId ?? null,
          row.deviceId ?? null,
          row.email ?? null,
          row.country ?? null,
          row.language ?? null,
          sortKeys(row.customAttributes),
        ]),
      );
    }
  });
});

function bits(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v >>>= 1) n += v & 1;
  return n;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

function leftovers(): string[] {
  return readdirSync(temp).filter((name) => name.startsWith("braze-push-migrate-repeats-"));
}
