import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  readTokenSource,
  TokenSourceError,
  validateTokenFile,
  type TokenReport,
  type TokenRow,
  type TokenSourceOptions,
} from "../../src/tokens";
import { apnsToken, fcmToken } from "../helpers";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "braze-tokens-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("plain CSV files", () => {
  it("reads token and external_id columns by name, in any case and under common aliases", async () => {
    // GIVEN a file whose header uses aliases and capitals, with the columns in another order
    const file = write("plain.csv", [
      "Country,User_ID,Push_Token",
      `DE,u-1,${apnsToken(1)}`,
      `FR,u-2,${apnsToken(2)}`,
    ]);

    // WHEN it is read for an identified iOS import
    const { rows, report } = await readAll({ file, platform: "ios", mode: "identified" });

    // THEN every row comes out with its line and fields
    expect(rows).toEqual([
      { line: 2, token: apnsToken(1), externalId: "u-1", country: "DE", customAttributes: {} },
      { line: 3, token: apnsToken(2), externalId: "u-2", country: "FR", customAttributes: {} },
    ]);
    expect(report.columns).toEqual({
      token: "push_token",
      external_id: "user_id",
      country: "country",
    });
    expect(report.counts).toEqual({
      rowsRead: 2,
      valid: 2,
      rejected: 0,
      duplicates: 0,
      skipped: 0,
      warnings: 0,
    });
  });

  it("numbers rows by the line where they start, across quoted multi-line cells, CRLF and blank lines", async () => {
    const file = write(
      "multiline.csv",
      [
        "token,external_id,note",
        `${apnsToken(1)},u-1,"first\r\nsecond"`,
        "",
        `${apnsToken(2)},u-2,"one\r\ntwo\r\nthree"`,
        `${apnsToken(3)}zz,u-3,plain`,
      ].join("\r\n"),
    );

    const { rows, report } = await readAll({
      file,
      platform: "ios",
      mode: "identified",
      columns: { customAttributes: { note: "note" } },
    });

    expect(rows.map((r) => [r.line, r.customAttributes.note])).toEqual([
      [2, "first\r\nsecond"],
      [5, "one\r\ntwo\r\nthree"],
    ]);
    expect(report.rejections.map((r) => [r.line, r.code])).toEqual([[8, "APNS_NOT_HEX"]]);
  });

  it("reads gzip content, whatever the file is called", async () => {
    const csv = ["token,external_id", `${fcmToken(1)},u-1`, `${fcmToken(2)},u-2`].join("\n");
    const file = join(dir, "android.csv.gz");
    writeFileSync(file, gzipSync(csv));

    const { rows, report } = await readAll({ file, platform: "android", mode: "identified" });

    expect(rows.map((r) => r.token)).toEqual([fcmToken(1), fcmToken(2)]);
    expect(report).toMatchObject({ format: "csv", gzip: true });
  });

  it("sends the columns named as custom attributes and reads fields from the columns given", async () => {
    const file = write("mapped.csv", [
      "tok,uid,dev,Plan,mail",
      `${apnsToken(1)},u-1,device-0001,gold,a@example.com`,
    ]);

    const { rows } = await readAll({
      file,
      platform: "ios",
      mode: "identified",
      columns: {
        token: "TOK",
        externalId: "uid",
        deviceId: "dev",
        email: "mail",
        customAttributes: { plan_tier: "plan" },
      },
    });

    expect(rows).toEqual([
      {
        line: 2,
        token: apnsToken(1),
        externalId: "u-1",
        deviceId: "device-0001",
        email: "a@example.com",
        customAttributes: { plan_tier: "gold" },
      },
    ]);
  });

  it("stops reading a field mapped to no column, so an anonymous import can use a file with user ids", async () => {
    const file = write("anon.csv", ["token,external_id", `${apnsToken(1)},u-1`]);

    const withIds = await readAll({ file, platform: "ios", mode: "anonymous" });
    const without = await readAll({
      file,
      platform: "ios",
      mode: "anonymous",
      columns: { externalId: "" },
    });

    expect(withIds.report.rejectedByCode).toEqual({ EXTERNAL_ID_IN_ANONYMOUS: 1 });
    expect(without.rows).toEqual([{ line: 2, token: apnsToken(1), customAttributes: {} }]);
  });

  it("rejects rows with the wrong number of cells and skips blank ones", async () => {
    const file = write("ragged.csv", [
      "token,external_id",
      `${apnsToken(1)},u-1,extra`,
      ",",
      `${apnsToken(2)},u-2`,
    ]);

    const { rows, report } = await readAll({ file, platform: "ios", mode: "identified" });

    expect(rows.map((r) => r.line)).toEqual([4]);
    expect(report.rejections[0]).toMatchObject({
      code: "ROW_MALFORMED",
      line: 2,
      problem: "row has 3 cells, the header has 2",
    });
    expect(report.skippedByReason).toEqual({ "blank rows": 1 });
  });

  it("fails, naming the file and the columns it has, when no token column is found or a named column is missing", async () => {
    const file = write("nocolumn.csv", ["device,user", `${apnsToken(1)},u-1`]);

    await expect(
      validateTokenFile({ file, platform: "ios", mode: "identified" }),
    ).rejects.toMatchObject({
      code: "MISSING_COLUMN",
      message: expect.stringMatching(
        /nocolumn\.csv has no token column: .*\(device, user\); name it with --column token=<column>/,
      ),
    });
    await expect(
      validateTokenFile({
        file,
        platform: "ios",
        mode: "identified",
        columns: { token: "device", externalId: "owner" },
      }),
    ).rejects.toMatchObject({
      code: "UNKNOWN_COLUMN",
      message: expect.stringContaining('no column "owner" for external_id'),
    });
  });

  it("fails on broken quoting with the file's name", async () => {
    const file = write("broken.csv", ["token,external_id", `"${apnsToken(1)},u-1`]);
    await expect(
      validateTokenFile({ file, platform: "ios", mode: "identified" }),
    ).rejects.toMatchObject({
      code: "CSV_MALFORMED",
      message: expect.stringContaining("cannot read " + file + " as CSV"),
    });
  });

  it("fails with the file's name when the file does not exist", async () => {
    const file = join(dir, "missing.csv");
    const err = await validateTokenFile({ file, platform: "ios", mode: "identified" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TokenSourceError);
    expect(err).toMatchObject({
      code: "FILE_UNREADABLE",
      message: `cannot read token file ${file}: no such file`,
    });
  });
});

describe("the OneSignal preset", () => {
  // columns of POST /players/csv_export, in another order than documented, plus optional ones
  const HEADER =
    "id,device_type,identifier,language,session_count,invalid_identifier,notification_types,external_user_id,country";
  const row = (type: number, token: string, invalid = "f", types = "1", user = "u") =>
    `player-${token.slice(-4)},${type},${token},de,3,${invalid},${types},${user},DE`;

  it("imports subscribed rows of the chosen platform and counts the others by reason", async () => {
    const file = write("onesignal.csv", [
      HEADER,
      row(0, apnsToken(1), "f", "1", "u-1"),
      row(1, fcmToken(1)),
      row(0, apnsToken(2), "t"),
      row(0, apnsToken(3), "f", "-2"),
      row(11, "someone@example.com"),
      row(14, "+15555550100"),
      row(0, apnsToken(4), "f", "", "u-4"),
    ]);

    const { rows, report } = await readAll({
      file,
      platform: "ios",
      mode: "identified",
      preset: "onesignal",
    });

    expect(rows).toEqual([
      {
        line: 2,
        token: apnsToken(1),
        externalId: "u-1",
        country: "DE",
        language: "de",
        customAttributes: {},
      },
      {
        line: 8,
        token: apnsToken(4),
        externalId: "u-4",
        country: "DE",
        language: "de",
        customAttributes: {},
      },
    ]);
    expect(report.skippedByReason).toEqual({
      "android rows": 1,
      "unsubscribed (invalid_identifier t)": 1,
      "unsubscribed (notification_types <= 0)": 1,
      "OneSignal device_type 11 (email)": 1,
      "OneSignal device_type 14 (SMS)": 1,
    });
    expect(report.counts).toMatchObject({ rowsRead: 7, valid: 2, skipped: 5, rejected: 0 });
  });

  it("refuses web push rows with Braze's reason and imports Android rows into an Android import", async () => {
    const file = write("onesignal-web.csv", [
      HEADER,
      row(5, "https://fcm.googleapis.com/fcm/send/made-up-endpoint"),
      row(1, fcmToken(1), "f", "1", "u-1"),
    ]);

    const { rows, report } = await readAll({
      file,
      platform: "android",
      mode: "identified",
      preset: "onesignal",
    });

    expect(rows.map((r) => r.token)).toEqual([fcmToken(1)]);
    expect(report.rejections).toEqual([
      expect.objectContaining({
        code: "WEB_PUSH_NOT_IMPORTABLE",
        line: 2,
        problem: "row is a OneSignal web push subscription (device_type 5)",
        value: "…dpoint",
        rule: "Braze cannot import web push subscriptions through the REST API",
      }),
    ]);
  });

  it("reads the gzip export and notes when the subscription columns are missing", async () => {
    const csv = ["identifier,device_type", `${apnsToken(9)},0`].join("\n");
    const file = join(dir, "csv_export.csv.gz");
    writeFileSync(file, gzipSync(csv));

    const { rows, report } = await readAll({
      file,
      platform: "ios",
      mode: "anonymous",
      preset: "onesignal",
    });

    expect(rows.map((r) => r.token)).toEqual([apnsToken(9)]);
    expect(report.notes).toEqual([expect.stringContaining("every row is taken as subscribed")]);
  });

  it("fails when the export has no device_type column", async () => {
    const file = write("onesignal-partial.csv", ["identifier,language", `${apnsToken(1)},en`]);
    await expect(
      validateTokenFile({ file, platform: "ios", mode: "anonymous", preset: "onesignal" }),
    ).rejects.toMatchObject({
      code: "MISSING_COLUMN",
      message: expect.stringContaining("no device_type column"),
    });
  });
});

describe("the Airship preset", () => {
  const channel = (fields: Record<string, unknown>) => ({
    channel_id: "00000000-0000-4000-8000-000000000001",
    installed: true,
    opt_in: true,
    background: true,
    tags: ["a"],
    ...fields,
  });

  it("imports installed, opted-in channels of the platform from NDJSON, lower-casing iOS tokens", async () => {
    const lines = [
      channel({
        device_type: "ios",
        push_address: apnsToken(1).toUpperCase(),
        named_user_id: "u-1",
      }),
      channel({ device_type: "android", push_address: fcmToken(1) }),
      channel({ device_type: "ios", push_address: apnsToken(2), installed: false }),
      channel({ device_type: "ios", push_address: apnsToken(3), opt_in: false }),
      channel({ device_type: "web", push_address: null }),
      channel({ device_type: "email", push_address: null }),
    ].map((c) => JSON.stringify(c));
    const file = write("channels.ndjson", [lines[0], "", ...lines.slice(1), "{not json"]);

    const { rows, report } = await readAll({
      file,
      platform: "ios",
      mode: "identified",
      preset: "airship",
    });

    expect(rows).toEqual([
      { line: 1, token: apnsToken(1), externalId: "u-1", customAttributes: {} },
    ]);
    expect(report.skippedByReason).toEqual({
      "android rows": 1,
      "uninstalled (installed false)": 1,
      "not opted in (opt_in false)": 1,
      "Airship device_type email": 1,
    });
    expect(report.rejections.map((r) => [r.line, r.code])).toEqual([
      [6, "WEB_PUSH_NOT_IMPORTABLE"],
      [8, "ROW_MALFORMED"],
    ]);
    expect(report.format).toBe("ndjson");
  });

  it("reads a saved page shaped {channels: [...]}, numbering each channel by its first line", async () => {
    const page = {
      ok: true,
      channels: [
        channel({ device_type: "android", push_address: fcmToken(1), named_user_id: "u-1" }),
        channel({ device_type: "android", push_address: fcmToken(2), named_user_id: "u-2" }),
      ],
      next_page: "https://go.urbanairship.com/api/channels?start=abc",
    };
    const file = write("channels.json", JSON.stringify(page, null, 2));

    const { rows, report } = await readAll({
      file,
      platform: "android",
      mode: "identified",
      preset: "airship",
    });

    // the page opens on line 1, "ok" is line 2, "channels" line 3, the first channel line 4
    expect(rows.map((r) => [r.line, r.externalId])).toEqual([
      [4, "u-1"],
      [16, "u-2"],
    ]);
    expect(report.format).toBe("json");
  });

  it("reads a top-level array of channels, even on one line", async () => {
    const file = write(
      "channels-array.json",
      JSON.stringify([channel({ device_type: "android", push_address: fcmToken(5) })]),
    );
    const { rows } = await readAll({
      file,
      platform: "android",
      mode: "anonymous",
      preset: "airship",
    });
    expect(rows.map((r) => [r.line, r.token])).toEqual([[1, fcmToken(5)]]);
  });
});

describe("repeated tokens", () => {
  it("collapses identical rows, counting them, and rejects a token claimed by two external_ids naming both lines", async () => {
    const file = write("repeats.csv", [
      "token,external_id",
      `${apnsToken(1)},u-1`,
      `${apnsToken(2)},u-2`,
      `${apnsToken(1).toUpperCase()},u-1`,
      `${apnsToken(1)},u-9`,
    ]);

    const { rows, report } = await readAll({ file, platform: "ios", mode: "identified" });

    expect(rows.map((r) => r.line)).toEqual([2, 3]);
    expect(report.counts).toMatchObject({ rowsRead: 4, valid: 2, duplicates: 1, rejected: 1 });
    expect(report.rejections).toEqual([
      expect.objectContaining({
        code: "TOKEN_CLAIMED_TWICE",
        line: 5,
        otherLine: 2,
        problem: "token is already on line 2 for another external_id",
        value: `…${apnsToken(1).slice(-6)}`,
      }),
    ]);
  });

  it("rejects a repeat of a token with other values for the same user", async () => {
    const file = write("repeats-differ.csv", [
      "token,external_id,device_id",
      `${apnsToken(1)},u-1,device-0001`,
      `${apnsToken(1)},u-1,device-0002`,
    ]);
    const { report } = await readAll({ file, platform: "ios", mode: "identified" });
    expect(report.rejections.map((r) => [r.code, r.line, r.otherLine])).toEqual([
      ["TOKEN_REPEATED_DIFFERENTLY", 3, 2],
    ]);
  });
});

describe("the digest", () => {
  it("is SHA-256 over the normalised rows, whatever the line endings, gzip or column order", async () => {
    const lf = write("digest-lf.csv", [
      "token,external_id",
      `${apnsToken(1)},u-1`,
      `${apnsToken(2)},u-2`,
    ]);
    const crlf = write(
      "digest-crlf.csv",
      ["external_id,token", `u-1,${apnsToken(1).toUpperCase()}`, `u-2,${apnsToken(2)}`].join(
        "\r\n",
      ),
    );
    const gz = join(dir, "digest.csv.gz");
    writeFileSync(
      gz,
      gzipSync(["token,external_id", `${apnsToken(1)},u-1`, `${apnsToken(2)},u-2`].join("\n")),
    );

    const digests = await Promise.all(
      [lf, crlf, gz].map(
        async (file) =>
          (await validateTokenFile({ file, platform: "ios", mode: "identified" })).digest,
      ),
    );

    // the normalised form: a version line, then one JSON array per row
    const expected = createHash("sha256")
      .update("braze-push-migrate/tokens/v2 ios identified\n")
      .update(`${JSON.stringify([apnsToken(1), "u-1", null, null, null, null, {}])}\n`)
      .update(`${JSON.stringify([apnsToken(2), "u-2", null, null, null, null, {}])}\n`)
      .digest("hex");
    expect(digests).toEqual([`sha256:${expected}`, `sha256:${expected}`, `sha256:${expected}`]);
  });

  it("covers repeated rows too, so an added duplicate changes it", async () => {
    const once = write("digest-once.csv", ["token,external_id", `${apnsToken(1)},u-1`]);
    const twice = write("digest-twice.csv", [
      "token,external_id",
      `${apnsToken(1)},u-1`,
      `${apnsToken(1)},u-1`,
    ]);
    const [a, b] = await Promise.all(
      [once, twice].map((file) => validateTokenFile({ file, platform: "ios", mode: "identified" })),
    );
    expect(b.counts).toMatchObject({ valid: 1, duplicates: 1 });
    expect(a.digest).not.toBe(b.digest);
  });

  it("changes when a token changes", async () => {
    const before = write("digest-a.csv", ["token,external_id", `${apnsToken(1)},u-1`]);
    const after = write("digest-b.csv", ["token,external_id", `${apnsToken(3)},u-1`]);
    const [a, b] = await Promise.all(
      [before, after].map(
        async (file) =>
          (await validateTokenFile({ file, platform: "ios", mode: "identified" })).digest,
      ),
    );
    expect(a).not.toBe(b);
  });
});

describe("the report", () => {
  it("keeps the first rejections whole and counts them all", async () => {
    const lines = ["token,external_id"];
    for (let i = 0; i < 30; i++) lines.push(`not-hex-${i},u-${i}`);
    const file = write("many-bad.csv", lines);

    const report = await validateTokenFile({
      file,
      platform: "ios",
      mode: "identified",
      keepIssues: 5,
    });

    expect(report.counts.rejected).toBe(30);
    expect(report.rejectedByCode).toEqual({ APNS_NOT_HEX: 30 });
    expect(report.rejections.map((r) => r.line)).toEqual([2, 3, 4, 5, 6]);
  });

  it("is ready only after every row has been read, and a source is read once", async () => {
    const file = write("once.csv", ["token,external_id", `${apnsToken(1)},u-1`]);
    const source = readTokenSource({ file, platform: "ios", mode: "identified" });

    expect(() => source.report()).toThrow(/ready once every row has been read/);
    for await (const row of source) void row;
    expect(source.report().counts.valid).toBe(1);
    expect(() => source[Symbol.asyncIterator]()).toThrow(/read once/);
  });

  it("never holds a whole token in any rejection", async () => {
    const file = write("secret.csv", [
      "token,external_id",
      `${fcmToken(1)},u-1`,
      `${apnsToken(1)},`,
    ]);
    const report = await validateTokenFile({ file, platform: "ios", mode: "identified" });
    const text = JSON.stringify(report);
    expect(report.counts.rejected).toBe(2);
    expect(text).not.toContain(fcmToken(1).slice(-7));
    expect(text).not.toContain(apnsToken(1).slice(-7));
  });
});

describe("memory", () => {
  it("does not keep rows in the JS heap: 200,000 rows retain about what 20,000 do", async () => {
    const small = writeTokens("heap-20k.csv", 20_000);
    const large = writeTokens("heap-200k.csv", 200_000);

    const smallGrowth = await retainedHeapAfterReading(small);
    const largeGrowth = await retainedHeapAfterReading(large);

    // held rows would cost ~150 bytes each: 30 MB for 200,000; allow GC noise well below that
    expect(largeGrowth).toBeLessThan(smallGrowth + 8 * 1024 * 1024);
  }, 120_000);
});

// helpers

function write(name: string, content: string | string[]): string {
  const file = join(dir, name);
  writeFileSync(file, Array.isArray(content) ? content.join("\n") + "\n" : content);
  return file;
}

async function readAll(
  options: TokenSourceOptions,
): Promise<{ rows: TokenRow[]; report: TokenReport }> {
  const source = readTokenSource(options);
  const rows: TokenRow[] = [];
  for await (const row of source) rows.push(row);
  return { rows, report: source.report() };
}

function writeTokens(name: string, count: number): string {
  const lines = ["token,external_id"];
  for (let i = 0; i < count; i++)
    lines.push(`${createHash("sha256").update(`t${i}`).digest("hex")},user-${i}`);
  return write(name, lines);
}

// heap still in use once the read is over and garbage collected, while the source is held
async function retainedHeapAfterReading(file: string): Promise<number> {
  const gc = collectGarbage();
  gc();
  const before = process.memoryUsage().heapUsed;
  const source = readTokenSource({ file, platform: "ios", mode: "identified" });
  let valid = 0;
  for await (const row of source) if (row.token) valid++;
  gc();
  const after = process.memoryUsage().heapUsed;
  expect(source.report().counts.valid).toBe(valid);
  return Math.max(0, after - before);
}

function collectGarbage(): () => void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const v8 = require("node:v8") as typeof import("node:v8");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vm = require("node:vm") as typeof import("node:vm");
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}
