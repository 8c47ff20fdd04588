import { BrazeClient } from "../../src/client/braze-client";
import { isBrazeError } from "../../src/client/errors";
import { checkDrift } from "../../src/drift/check-drift";
import { DriftError } from "../../src/drift/errors";
import { driftExitCode, formatDriftJson, formatDriftMarkdown } from "../../src/drift/report-format";
import { DRIFT_STATES } from "../../src/drift/types";
import { admin, APP, apnsToken, fcmToken, KEY, post, useEmulator } from "../helpers";
import { DRIFT_EMULATOR, DriftFixture, statesByLine } from "./drift-helpers";

describe("the device_id read-back of small anonymous batches", () => {
  const emulator = useEmulator(DRIFT_EMULATOR);
  const url = () => emulator.current.url;
  let fx: DriftFixture;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
    fx = new DriftFixture(url());
  });
  afterEach(() => fx.close());

  it("looks each token up by its device_id when no segment export is taken", async () => {
    const rows = [1, 2, 3].map((n) => `${apnsToken(n)},device-000${n}`);
    const file = fx.file("ios.csv", "token,device_id", rows);
    const batch = await fx.apply(await fx.declare("stack/small", "ios", "anonymous", file));
    await admin(url(), "POST", "/sdk-session", { app_id: APP.ios, token: apnsToken(2) });
    await admin(url(), "POST", "/uninstall", { app_id: APP.ios, token: apnsToken(3) });

    const report = await fx.check([batch], { findUndeclared: false, deviceIdThreshold: 3 });

    expect(report.batches[0].method).toBe("device_id");
    expect(report.workspace).toBeUndefined();
    expect(statesByLine(report, "stack/small")).toEqual({ 3: "claimed_by_sdk", 4: "removed" });
    const log = (await admin(url(), "GET", "/requests?limit=100")).body.requests;
    expect(log.some((r: { path: string }) => r.path === "/users/export/segment")).toBe(false);
  });

  it("takes a segment export for a batch above the threshold", async () => {
    const rows = [1, 2, 3].map((n) => `${apnsToken(n)},device-000${n}`);
    const file = fx.file("ios.csv", "token,device_id", rows);
    const batch = await fx.apply(await fx.declare("stack/small", "ios", "anonymous", file));

    const report = await fx.check([batch], { findUndeclared: false, deviceIdThreshold: 2 });

    expect(report.batches[0].method).toBe("segment_export");
    expect(report.batches[0].counts.in_sync).toBe(3);
    expect(report.undeclared.checked).toBe(false);
  });
});

describe("exit codes, JSON and Markdown of drift", () => {
  const emulator = useEmulator(DRIFT_EMULATOR);
  const url = () => emulator.current.url;
  let fx: DriftFixture;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
    fx = new DriftFixture(url());
  });
  afterEach(() => fx.close());

  async function applied() {
    const file = fx.file(
      "ios.csv",
      "token",
      [1, 2, 3, 4].map((n) => apnsToken(n)),
    );
    return fx.apply(await fx.declare("stack/ios|anon", "ios", "anonymous", file));
  }

  it("exits 0 when only expected drift is found (claimed by the SDK, removed)", async () => {
    const batch = await applied();
    await admin(url(), "POST", "/sdk-session", { app_id: APP.ios, token: apnsToken(1) });
    await admin(url(), "POST", "/uninstall", { app_id: APP.ios, token: apnsToken(2) });

    const report = await fx.check([batch]);

    expect(report.summary).toMatchObject({ claimed_by_sdk: 1, removed: 1, in_sync: 2 });
    expect(driftExitCode(report)).toBe(0);
    expect(formatDriftMarkdown(report)).toMatch(/No action needed/);
  });

  it("exits 2 when a token is missing", async () => {
    const batch = await applied();
    await admin(url(), "POST", "/uninstall", { app_id: APP.ios, token: apnsToken(3) });

    const report = await fx.check([{ ...batch, ledgerPath: undefined }]);

    expect(report.summary.missing).toBe(1);
    expect(driftExitCode(report)).toBe(2);
  });

  it("exits 2 when a token moved", async () => {
    const batch = await applied();
    await post(url(), "/users/track", {
      attributes: [{ external_id: "x", push_tokens: [{ app_id: APP.ios, token: apnsToken(4) }] }],
    });

    expect(driftExitCode(await fx.check([batch]))).toBe(2);
  });

  it("exits 2 when Braze holds undeclared import profiles, 0 once they are declared", async () => {
    const batch = await applied();
    await post(url(), "/users/track", {
      attributes: [
        { push_token_import: true, push_tokens: [{ app_id: APP.ios, token: apnsToken(5) }] },
      ],
    });

    const report = await fx.check([batch]);
    expect(report.summary).toMatchObject({ undeclared: 1, in_sync: 4 });
    expect(driftExitCode(report)).toBe(2);
    expect(driftExitCode(await fx.check([batch], { findUndeclared: false }))).toBe(0);
  });

  it("fails (exit 1 in the CLI) with Braze's error when the segment is unknown or the key wrong", async () => {
    const batch = await applied();

    const unknown = fx.check([batch], { segmentId: "no-such-segment" });
    await expect(unknown).rejects.toMatchObject({ code: "BRAZE_BAD_REQUEST" });

    const bad = new BrazeClient({ endpoint: url(), apiKey: "wrong-key" });
    const failure = await checkDrift(bad, [batch], { segmentId: "all-users" }).catch(
      (err: unknown) => err,
    );
    expect(isBrazeError(failure, "BRAZE_AUTH")).toBe(true);
    await bad.close();
  });

  it("refuses declarations it cannot read back", async () => {
    const batch = await applied();

    await expect(fx.check([batch, batch])).rejects.toBeInstanceOf(DriftError);
    await expect(fx.check([{ ...batch, appName: " " }])).rejects.toMatchObject({
      code: "DRIFT_BAD_BATCH",
    });
    await expect(
      fx.check([batch, { ...batch, id: "other", appId: APP.android }]),
    ).rejects.toMatchObject({
      code: "DRIFT_BAD_BATCH",
      message: expect.stringMatching(/app name/),
    });
    await expect(fx.check([batch], { maxDetails: -1 })).rejects.toMatchObject({
      code: "DRIFT_BAD_OPTION",
    });
  });

  it("writes versioned JSON with tokens only by their last 6 characters and no API key", async () => {
    const batch = await applied();
    const identifiedFile = fx.file("android.csv", "token,external_id", [`${fcmToken(7)},ada`]);
    const identified = await fx.apply(
      await fx.declare("stack/android", "android", "identified", identifiedFile),
    );
    await admin(url(), "POST", "/uninstall", { app_id: APP.ios, token: apnsToken(1) });
    await admin(url(), "POST", "/sdk-session", {
      app_id: APP.android,
      token: fcmToken(7),
      external_id: "bob",
    });
    await post(url(), "/users/track", {
      attributes: [
        { push_token_import: true, push_tokens: [{ app_id: APP.ios, token: apnsToken(8) }] },
      ],
    });

    const report = await fx.check([batch, identified]);
    const json = JSON.parse(formatDriftJson(report));

    expect(json.version).toBe(1);
    expect(Object.keys(json.summary).sort()).toEqual(
      ["declared", ...DRIFT_STATES, "undeclared"].sort(),
    );
    expect(json.summary).toMatchObject({
      declared: 5,
      in_sync: 3,
      removed: 1,
      moved: 1,
      undeclared: 1,
    });
    expect(json.batches).toHaveLength(2);
    expect(json.batches[1].drifted).toEqual([
      {
        line: 2,
        token: `…${fcmToken(7).slice(-6)}`,
        state: "moved",
        reason: expect.any(String),
        externalId: "ada",
        heldBy: "bob",
      },
    ]);
    // in-sync tokens carry no details
    expect(json.batches[0].drifted).toHaveLength(1);
    expectNoSecrets(formatDriftJson(report));
  });

  it("writes Markdown for a pull-request comment: verdict, a row per batch, drifted tokens", async () => {
    const batch = await applied();
    await admin(url(), "POST", "/uninstall", { app_id: APP.ios, token: apnsToken(2) });

    const markdown = formatDriftMarkdown(await fx.check([{ ...batch, ledgerPath: undefined }]));

    expect(markdown).toMatch(/^### Braze push token drift/);
    expect(markdown).toMatch(/\*\*Needs action:\*\*/);
    expect(markdown).toContain("4 declared: in sync 3, missing 1,");
    // the pipe in the batch id is escaped so the table keeps its columns
    const row = markdown.split("\n").find((line) => line.startsWith("| `stack/ios\\|anon`"));
    expect(row?.split(/(?<!\\)\|/).length).toBe(13);
    expect(markdown).toContain(`| 3 | \`…${apnsToken(2).slice(-6)}\` | missing |`);
    expectNoSecrets(markdown);
  });

  it("lists at most maxDetails drifted tokens and counts the rest", async () => {
    const batch = await applied();
    for (const n of [1, 2, 3]) {
      await admin(url(), "POST", "/uninstall", { app_id: APP.ios, token: apnsToken(n) });
    }

    const report = await fx.check([batch], { maxDetails: 2 });

    expect(report.batches[0].drifted).toHaveLength(2);
    expect(report.batches[0].driftedNotListed).toBe(1);
    expect(formatDriftMarkdown(report)).toContain("and 1 more");
  });

  function expectNoSecrets(text: string): void {
    expect(text).not.toContain(KEY);
    for (let n = 1; n <= 8; n++) {
      expect(text).not.toContain(apnsToken(n));
      expect(text).not.toContain(fcmToken(n));
    }
  }
});
