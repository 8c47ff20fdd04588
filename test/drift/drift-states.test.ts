import { Ledger, tokenKey } from "../../src/engine/ledger";
import { admin, APP, apnsToken, fcmToken, post, useEmulator } from "../helpers";
import { DRIFT_EMULATOR, DriftFixture, statesByLine } from "./drift-helpers";

describe("drift states of an anonymous batch (segment export)", () => {
  const emulator = useEmulator(DRIFT_EMULATOR);
  const url = () => emulator.current.url;
  let fx: DriftFixture;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
    fx = new DriftFixture(url());
  });
  afterEach(() => fx.close());

  // lines 2..7 hold tokens 1..6
  const rows = [1, 2, 3, 4, 5, 6].map((n) => `${apnsToken(n)},device-000${n}`);

  it("gives each token the state the emulator's admin actions produce", async () => {
    const file = fx.file("ios.csv", "token,device_id", rows);
    const batch = await fx.apply(await fx.declare("stack/ios-anon", "ios", "anonymous", file));

    // token 2: the SDK registers it on an anonymous device; token 3: on a logged-in user
    await admin(url(), "POST", "/sdk-session", { app_id: APP.ios, token: apnsToken(2) });
    await admin(url(), "POST", "/sdk-session", {
      app_id: APP.ios,
      token: apnsToken(3),
      external_id: "user-3",
    });
    // token 4: uninstalled, then the monthly cleanup deletes its empty temporary profile
    await admin(url(), "POST", "/uninstall", { app_id: APP.ios, token: apnsToken(4) });
    expect((await admin(url(), "POST", "/monthly-cleanup")).body.deleted).toBe(1);
    // token 5: the ledger never recorded it (a crash before its request) and Braze lacks it
    await admin(url(), "POST", "/uninstall", { app_id: APP.ios, token: apnsToken(5) });
    forgetLine(batch.ledgerPath!, batch, 6);
    // token 6: an identified write takes it onto an external_id
    await post(url(), "/users/track", {
      attributes: [
        { external_id: "other", push_tokens: [{ app_id: APP.ios, token: apnsToken(6) }] },
      ],
    });

    const report = await fx.check([batch]);

    const result = report.batches[0];
    expect(result.method).toBe("segment_export");
    expect(result.ledger).toBe("used");
    expect(result.counts).toEqual({
      in_sync: 1,
      missing: 1,
      claimed_by_sdk: 2,
      moved: 1,
      removed: 1,
      not_checked: 0,
    });
    expect(statesByLine(report, "stack/ios-anon")).toEqual({
      3: "claimed_by_sdk",
      4: "claimed_by_sdk",
      5: "removed",
      6: "missing",
      7: "moved",
    });
    const moved = result.drifted.find((t) => t.state === "moved")!;
    expect(moved).toMatchObject({ token: `…${apnsToken(6).slice(-6)}`, heldBy: "other" });
    expect(result.drifted.find((t) => t.line === 4)?.heldBy).toBe("user-3");
    expect(result.drifted.find((t) => t.line === 6)?.reason).toMatch(/never sent/);
    expect(report.summary).toMatchObject({ declared: 6, undeclared: 0 });
    expect(report.workspace).toMatchObject({ segmentId: "all-users" });
  });

  it("reports every token Braze lacks as missing when there is no ledger", async () => {
    const file = fx.file("ios.csv", "token,device_id", rows);
    const applied = await fx.apply(await fx.declare("stack/ios-anon", "ios", "anonymous", file));
    await admin(url(), "POST", "/uninstall", { app_id: APP.ios, token: apnsToken(1) });

    const report = await fx.check([{ ...applied, ledgerPath: undefined }]);

    expect(report.batches[0].ledger).toBe("absent");
    expect(report.batches[0].counts).toMatchObject({ in_sync: 5, missing: 1, removed: 0 });
    expect(report.batches[0].drifted[0].reason).toMatch(/no ledger/);
  });

  it("does not use a ledger of another import", async () => {
    const file = fx.file("ios.csv", "token,device_id", rows);
    const applied = await fx.apply(await fx.declare("stack/ios-anon", "ios", "anonymous", file));
    const other = fx.file("other.csv", "token", [apnsToken(77)]);
    const otherApplied = await fx.apply(await fx.declare("stack/other", "ios", "anonymous", other));

    const report = await fx.check([{ ...applied, ledgerPath: otherApplied.ledgerPath }], {
      findUndeclared: false,
    });

    expect(report.batches[0].ledger).toBe("unusable");
    expect(report.batches[0].notes.join(" ")).toMatch(/records another import/);
  });

  it("lists import profiles no batch declares as undeclared", async () => {
    const file = fx.file("ios.csv", "token,device_id", rows.slice(0, 2));
    const batch = await fx.apply(await fx.declare("stack/ios-anon", "ios", "anonymous", file));
    // an import profile nobody declares, an SDK profile and an identified user (not imports)
    await post(url(), "/users/track", {
      attributes: [
        { push_token_import: true, push_tokens: [{ app_id: APP.android, token: fcmToken(9) }] },
        { external_id: "known", push_tokens: [{ app_id: APP.ios, token: apnsToken(10) }] },
      ],
    });
    await admin(url(), "POST", "/sdk-session", { app_id: APP.ios, token: apnsToken(11) });

    const report = await fx.check([batch]);

    expect(report.summary.undeclared).toBe(1);
    expect(report.undeclared).toMatchObject({
      checked: true,
      count: 1,
      tokens: [{ app: "Emulated Android", token: `…${fcmToken(9).slice(-6)}` }],
      notListed: 0,
    });
    expect(report.batches[0].counts.in_sync).toBe(2);
  });

  it("reports a changed file's tokens as not checked; a token it no longer lists is undeclared", async () => {
    const file = fx.file("ios.csv", "token,device_id", rows);
    const batch = await fx.apply(await fx.declare("stack/ios-anon", "ios", "anonymous", file));
    fx.file("ios.csv", "token,device_id", [...rows.slice(0, 5), `${apnsToken(60)},device-0060`]);

    const report = await fx.check([{ ...batch, tokens: 6 }]);

    const result = report.batches[0];
    expect(result.method).toBe("none");
    expect(result.counts).toMatchObject({ not_checked: 6, in_sync: 0 });
    expect(result.digest.actual).not.toBe(result.digest.declared);
    expect(result.notes[0]).toMatch(/changed since it was applied/);
    // token 6 was imported and is no longer in the file: an import profile nobody declares now
    expect(report.undeclared.count).toBe(1);
    expect(report.undeclared.tokens[0].token).toBe(`…${apnsToken(6).slice(-6)}`);
  });

  it("reports the tokens of a file that cannot be read as not checked, with the declared count", async () => {
    const file = fx.file("ios.csv", "token", [apnsToken(1)]);
    const batch = await fx.declare("stack/ios-anon", "ios", "anonymous", file);

    const report = await fx.check([{ ...batch, source: { file: `${file}.gone` }, tokens: 40 }], {
      findUndeclared: false,
    });

    expect(report.batches[0].counts.not_checked).toBe(40);
    expect(report.summary).toMatchObject({ declared: 40, not_checked: 40 });
    expect(report.batches[0].notes[0]).toMatch(/cannot be read/);
  });

  it("reports anonymous tokens as not checked when no segment id is given", async () => {
    const file = fx.file("ios.csv", "token", [apnsToken(1), apnsToken(2)]);
    const batch = await fx.apply(await fx.declare("stack/ios-anon", "ios", "anonymous", file));

    const report = await fx.check([batch], { segmentId: undefined });

    expect(report.batches[0]).toMatchObject({ method: "none", counts: { not_checked: 2 } });
    expect(report.undeclared).toMatchObject({ checked: false, count: 0 });
    expect(report.undeclared.reason).toMatch(/segment/);
  });
});

describe("drift states of an identified batch (users/export/ids)", () => {
  const emulator = useEmulator(DRIFT_EMULATOR);
  const url = () => emulator.current.url;
  let fx: DriftFixture;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
    fx = new DriftFixture(url());
  });
  afterEach(() => fx.close());

  const rows = [1, 2, 3, 4, 5].map((n) => `${fcmToken(n)},user-${n}`);

  async function appliedWithDrift() {
    const file = fx.file("android.csv", "token,external_id", rows);
    const batch = await fx.apply(
      await fx.declare("stack/android-id", "android", "identified", file),
    );
    // token 2: the SDK registers it for another user; token 3: on an anonymous device
    await admin(url(), "POST", "/sdk-session", {
      app_id: APP.android,
      token: fcmToken(2),
      external_id: "someone-else",
    });
    await admin(url(), "POST", "/sdk-session", { app_id: APP.android, token: fcmToken(3) });
    // token 4: uninstalled; token 5: the same user's SDK registers it (still in sync)
    await admin(url(), "POST", "/uninstall", { app_id: APP.android, token: fcmToken(4) });
    await admin(url(), "POST", "/sdk-session", {
      app_id: APP.android,
      token: fcmToken(5),
      external_id: "user-5",
    });
    return batch;
  }

  it("tells in_sync, moved, claimed_by_sdk and removed apart with a segment export", async () => {
    const batch = await appliedWithDrift();

    const report = await fx.check([batch]);

    expect(report.batches[0].method).toBe("users_export_ids");
    expect(statesByLine(report, "stack/android-id")).toEqual({
      3: "moved",
      4: "claimed_by_sdk",
      5: "removed",
    });
    const moved = report.batches[0].drifted[0];
    expect(moved).toMatchObject({ externalId: "user-2", heldBy: "someone-else" });
    expect(report.summary).toMatchObject({ in_sync: 2, moved: 1, claimed_by_sdk: 1, removed: 1 });
  });

  it("says where it did not look when no segment export is taken", async () => {
    const batch = await appliedWithDrift();

    const report = await fx.check([batch], { segmentId: undefined, findUndeclared: false });

    // without the workspace, tokens not on their external_id are not found elsewhere
    expect(report.workspace).toBeUndefined();
    expect(report.batches[0].counts).toMatchObject({ in_sync: 2, removed: 3 });
    expect(report.batches[0].drifted[0].reason).toMatch(/not searched elsewhere/);
  });

  it("asks /users/export/ids for at most 50 external_ids at a time", async () => {
    const many = Array.from({ length: 120 }, (_, i) => `${fcmToken(100 + i)},bulk-${i}`);
    const file = fx.file("bulk.csv", "token,external_id", many);
    const batch = await fx.apply(await fx.declare("stack/bulk", "android", "identified", file));
    // a reset empties the workspace and the request log: every token is gone, every request
    // logged from here on is the check's
    await admin(url(), "POST", "/reset");

    const report = await fx.check([batch], { findUndeclared: false });

    const log = (await admin(url(), "GET", "/requests?limit=1000")).body.requests;
    const exports = log.filter((r: { path: string }) => r.path === "/users/export/ids");
    expect(exports.map((r: { objects: number }) => r.objects).sort()).toEqual([20, 50, 50]);
    expect(report.batches[0].counts.missing).toBe(0);
    expect(report.batches[0].counts.removed).toBe(120);
  });
});

function forgetLine(path: string, batch: { digest: string; appId: string }, line: number): void {
  // a ledger that lost a line: as if the import was killed before that request
  const ledger = Ledger.open(path, {
    sourceDigest: batch.digest,
    appId: batch.appId,
    mode: "anonymous",
  });
  expect(ledger.outcome(line, tokenKey(apnsToken(5)))).toBe("accepted");
  ledger.forget([line]);
  ledger.close();
}
