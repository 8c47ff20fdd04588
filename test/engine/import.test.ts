import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrazeClient } from "../../src/client";
import { ImportError, runImport, type ImportOptions } from "../../src/engine/import";
import { LedgerError } from "../../src/engine/ledger";
import { FAST_RETRY as CLIENT_FAST_RETRY } from "../client/client-helpers";
import { admin, APP, apnsToken, fcmToken, KEY, post, useEmulator } from "../helpers";

// the client tests' fast backoff, with room for the several faults one request may meet here
const FAST_RETRY = { ...CLIENT_FAST_RETRY, maxAttempts: 8 } as const;

describe("runImport against the emulator", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;
  let dir: string;
  let client: BrazeClient;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "import-test-"));
    client = new BrazeClient({ endpoint: url(), apiKey: KEY, retry: FAST_RETRY });
    await admin(url(), "POST", "/reset");
  });
  afterEach(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function iosCsv(count: number, name = "ios.csv"): string {
    const lines = ["token,external_id"];
    for (let i = 1; i <= count; i++) lines.push(`${apnsToken(i)},user-${i}`);
    const file = join(dir, name);
    writeFileSync(file, lines.join("\n") + "\n");
    return file;
  }

  function androidNdjson(count: number, name = "android.ndjson"): string {
    const lines = [];
    for (let i = 1; i <= count; i++) lines.push(JSON.stringify({ token: fcmToken(i) }));
    const file = join(dir, name);
    writeFileSync(file, lines.join("\n") + "\n");
    return file;
  }

  const identified = (file: string, extra: Partial<ImportOptions> = {}): ImportOptions => ({
    source: { file, platform: "ios", mode: "identified" },
    appId: APP.ios,
    ledgerPath: join(dir, "ledger.sqlite"),
    client,
    ...extra,
  });

  const anonymous = (file: string, extra: Partial<ImportOptions> = {}): ImportOptions => ({
    source: { file, platform: "android", mode: "anonymous" },
    appId: APP.android,
    ledgerPath: join(dir, "ledger.sqlite"),
    client,
    ...extra,
  });

  async function stats() {
    return (await admin(url(), "GET", "/stats")).body;
  }

  async function holder(appId: string, token: string) {
    const query = `app_id=${encodeURIComponent(appId)}&token=${encodeURIComponent(token)}`;
    return (await admin(url(), "GET", `/tokens?${query}`)).body;
  }

  it("lands every identified token on its external_id and counts each once", async () => {
    const report = await runImport(identified(iosCsv(160)));

    expect(report.complete).toBe(true);
    expect(report.outcomes).toEqual({ sent: 0, accepted: 160, rejected: 0, unknown: 0 });
    expect(report.requests).toBe(3);
    expect(await stats()).toMatchObject({ users: 160, tokens: 160, temporaryUsers: 0 });
    expect(await holder(APP.ios, apnsToken(77))).toMatchObject({
      held: true,
      external_id: "user-77",
    });
  });

  it("imports anonymous tokens as one temporary profile each", async () => {
    const report = await runImport(anonymous(androidNdjson(100)));

    expect(report.complete).toBe(true);
    expect(await stats()).toMatchObject({ users: 100, temporaryUsers: 100, tokens: 100 });
  });

  it("sends nothing on a second run: the ledger shows every token settled", async () => {
    const options = identified(iosCsv(80));
    await runImport(options);
    const again = await runImport(options);

    expect(again.requests).toBe(0);
    expect(again.settledBefore).toBe(80);
    expect(again.complete).toBe(true);
  });

  it("records the tokens Braze rejects with their code, by line", async () => {
    // the web app's app_id is refused for push tokens
    const report = await runImport({ ...identified(iosCsv(3)), appId: APP.web });

    expect(report.complete).toBe(false);
    expect(report.outcomes).toMatchObject({ accepted: 0, rejected: 3 });
    expect(report.brazeRejections).toEqual([
      { line: 2, code: "BAD_PUSH_TOKEN_APP_ID" },
      { line: 3, code: "BAD_PUSH_TOKEN_APP_ID" },
      { line: 4, code: "BAD_PUSH_TOKEN_APP_ID" },
    ]);
  });

  it("ends with every token present once through a 429 storm and server errors", async () => {
    await admin(url(), "POST", "/faults", {
      endpoint: "/users/track",
      kind: "status",
      status: 429,
      count: 4,
    });
    await admin(url(), "POST", "/faults", {
      endpoint: "/users/track",
      kind: "status",
      status: 503,
      count: 2,
    });
    await admin(url(), "POST", "/faults", {
      endpoint: "/users/track",
      kind: "drop-before",
      count: 1,
    });
    await admin(url(), "POST", "/faults", {
      endpoint: "/users/track",
      kind: "drop-after",
      count: 1,
    });

    const report = await runImport(anonymous(androidNdjson(300)));

    expect(report.complete).toBe(true);
    expect(report.outcomes).toEqual({ sent: 0, accepted: 300, rejected: 0, unknown: 0 });
    expect(await stats()).toMatchObject({ tokens: 300, temporaryUsers: 300 });
  });

  it("reports identified rows whose request may have landed, and re-sends them only when told", async () => {
    await admin(url(), "POST", "/faults", {
      endpoint: "/users/track",
      kind: "drop-after",
      count: 1,
    });
    const options = identified(iosCsv(150));

    const first = await runImport(options);
    expect(first.complete).toBe(false);
    expect(first.outcomes).toMatchObject({ accepted: 75, unknown: 75 });
    expect(first.linesInDoubt.length).toBe(20);

    const second = await runImport(options);
    expect(second.requests).toBe(0);
    expect(second.leftInDoubt).toBe(75);
    expect(second.complete).toBe(false);

    const third = await runImport({ ...options, resendInDoubt: true });
    expect(third.requests).toBe(1);
    expect(third.complete).toBe(true);
    expect(third.outcomes).toEqual({ sent: 0, accepted: 150, rejected: 0, unknown: 0 });
    // the dropped request had been applied: the re-send changed nothing in the workspace
    expect(await stats()).toMatchObject({ users: 150, tokens: 150 });
  });

  it("re-sends anonymous requests whose answer was malformed or too slow", async () => {
    const slowClient = new BrazeClient({
      endpoint: url(),
      apiKey: KEY,
      retry: FAST_RETRY,
      timeoutMs: 300,
    });
    await admin(url(), "POST", "/faults", {
      endpoint: "/users/track",
      kind: "malformed",
      count: 1,
    });
    await admin(url(), "POST", "/faults", {
      endpoint: "/users/track",
      kind: "slow",
      delayMs: 600,
      count: 1,
    });
    try {
      const report = await runImport({ ...anonymous(androidNdjson(200)), client: slowClient });

      expect(report.complete).toBe(true);
      expect(report.outcomes).toEqual({ sent: 0, accepted: 200, rejected: 0, unknown: 0 });
      expect(await stats()).toMatchObject({ tokens: 200, temporaryUsers: 200 });
    } finally {
      await slowClient.close();
    }
  });

  it("records identified rows as in doubt when the answer was malformed", async () => {
    await admin(url(), "POST", "/faults", {
      endpoint: "/users/track",
      kind: "malformed",
      count: 1,
    });

    const report = await runImport(identified(iosCsv(75)));

    expect(report.complete).toBe(false);
    expect(report.outcomes).toMatchObject({ accepted: 0, unknown: 75 });
    // the request was applied: the users exist, the import cannot know it
    expect(await stats()).toMatchObject({ users: 75 });
  });

  it("stops on a key Braze refuses, forgetting the request so the next run sends it", async () => {
    const badClient = new BrazeClient({ endpoint: url(), apiKey: "not-a-key", retry: FAST_RETRY });
    const options = { ...anonymous(androidNdjson(10)), client: badClient };
    try {
      const err = await runImport(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ImportError);
      expect((err as ImportError).report.outcomes).toEqual({
        sent: 0,
        accepted: 0,
        rejected: 0,
        unknown: 0,
      });
      expect(String(err)).not.toContain("not-a-key");
    } finally {
      await badClient.close();
    }

    const retried = await runImport(anonymous(androidNdjson(10)));
    expect(retried.complete).toBe(true);
  });

  it("treats a changed file as another import", async () => {
    await runImport(identified(iosCsv(5)));
    const changed = iosCsv(6);

    await expect(runImport(identified(changed))).rejects.toThrow(LedgerError);
  });

  it("sends nothing on a dry run", async () => {
    const report = await runImport(identified(iosCsv(5), { dryRun: true, client: undefined }));

    expect(report.dryRun).toBe(true);
    expect(report.source.counts.valid).toBe(5);
    expect(await stats()).toMatchObject({ users: 0, tokens: 0 });
  });

  it("leaves the rows the file rejects out of the import and the ledger", async () => {
    const file = join(dir, "mixed.csv");
    writeFileSync(file, `token,external_id\n${apnsToken(1)},u-1\nnot-hex-zz,u-2\n`);
    const report = await runImport(identified(file));

    expect(report.source.counts).toMatchObject({ valid: 1, rejected: 1 });
    expect(report.outcomes).toMatchObject({ accepted: 1 });
    expect(report.complete).toBe(true);
    const exported = await post(url(), "/users/export/ids", {
      external_ids: ["u-1", "u-2"],
      fields_to_export: ["external_id"],
    });
    expect(exported.body.invalid_user_ids).toEqual(["u-2"]);
  });
});
