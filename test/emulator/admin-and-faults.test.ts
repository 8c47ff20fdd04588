import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { loadConfigFile } from "../../src/emulator/config";
import { startEmulator } from "../../src/emulator/server";
import { admin, APP, apnsToken, fcmToken, KEY, post, useEmulator, type Answer } from "../helpers";

const EMPTY_STATS = { users: 0, temporaryUsers: 0, tokens: 0, events: 0, purchases: 0, outbox: 0 };

describe("admin API", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;

  beforeEach(async () => {
    expect((await admin(url(), "POST", "/reset", { config: true })).status).toBe(200);
  });

  describe("reset and stats", () => {
    it("counts users, temporary profiles, tokens, events, purchases and the outbox", async () => {
      await post(url(), "/users/track", {
        attributes: [
          { external_id: "st-1", push_tokens: [{ app_id: APP.ios, token: apnsToken(1) }] },
          { push_token_import: true, push_tokens: [{ app_id: APP.android, token: fcmToken(1) }] },
        ],
        events: [{ external_id: "st-1", name: "opened", time: "2024-01-01T00:00:00Z" }],
        purchases: [
          {
            external_id: "st-1",
            product_id: "p",
            currency: "USD",
            price: 1,
            time: "2024-01-01T00:00:00Z",
          },
        ],
      });
      await post(url(), "/messages/send", {
        external_user_ids: ["st-1"],
        messages: { apple_push: { alert: "hi" } },
      });

      const stats = await admin(url(), "GET", "/stats");

      expect(stats.status).toBe(200);
      expect(stats.body).toEqual({
        users: 2,
        temporaryUsers: 1,
        tokens: 2,
        events: 1,
        purchases: 1,
        outbox: 1,
      });
    });

    it("reset deletes the data but keeps apps and keys added since start", async () => {
      await admin(url(), "POST", "/apps", { appId: "kept-app", name: "Kept", platform: "ios" });
      await admin(url(), "POST", "/keys", { key: "kept-key", permissions: "*" });
      await importIdentified(url(), "r-1", apnsToken(2));

      const reset = await admin(url(), "POST", "/reset");

      expect(reset.body).toEqual({ reset: true, config: false });
      expect((await admin(url(), "GET", "/stats")).body).toEqual(EMPTY_STATS);
      expect((await admin(url(), "GET", "/requests")).body).toEqual({ requests: [] });
      expect(appIds(await admin(url(), "GET", "/apps"))).toContain("kept-app");
      expect((await trackAs(url(), "kept-key")).status).toBe(201);
    });

    it("reset with config: true also drops added apps and keys and serves the defaults again", async () => {
      await admin(url(), "POST", "/apps", { appId: "gone-app", name: "Gone", platform: "ios" });
      await admin(url(), "POST", "/keys", { key: "gone-key", permissions: "*" });

      const reset = await admin(url(), "POST", "/reset", { config: true });

      expect(reset.body).toEqual({ reset: true, config: true });
      expect(appIds(await admin(url(), "GET", "/apps"))).toEqual([APP.android, APP.web, APP.ios]);
      expect((await trackAs(url(), "gone-key")).status).toBe(401);
      expect((await trackAs(url(), KEY)).status).toBe(201);
    });
  });

  describe("apps and keys", () => {
    it("lists the apps by name with their platform and flattening", async () => {
      const apps = await admin(url(), "GET", "/apps");

      expect(apps.body).toEqual({
        apps: [
          { appId: APP.android, name: "Emulated Android", platform: "android", flatten: false },
          { appId: APP.web, name: "Emulated Web", platform: "web", flatten: false },
          { appId: APP.ios, name: "Emulated iOS", platform: "ios", flatten: false },
        ],
      });
    });

    it("adds an app whose app_id then takes push tokens", async () => {
      const added = await admin(url(), "POST", "/apps", {
        appId: "second-android",
        name: "Second Android",
        platform: "android",
        flatten: true,
      });
      expect(added.body).toEqual({
        appId: "second-android",
        name: "Second Android",
        platform: "android",
        flatten: true,
      });

      const track = await post(url(), "/users/track", {
        attributes: [
          { external_id: "app-1", push_tokens: [{ app_id: "second-android", token: fcmToken(3) }] },
        ],
      });
      expect(track.body).toEqual({ message: "success", attributes_processed: 1 });
    });

    it("adds a key that then works with exactly its permissions", async () => {
      const added = await admin(url(), "POST", "/keys", {
        key: "track-key",
        permissions: ["users.track"],
      });
      expect(added.body).toEqual({ added: true, permissions: ["users.track"] });

      expect((await trackAs(url(), "track-key")).status).toBe(201);
      const exported = await post(
        url(),
        "/users/export/ids",
        { external_ids: ["k-1"], fields_to_export: ["external_id"] },
        "track-key",
      );
      expect(exported.status).toBe(403);
    });
  });

  describe("devices", () => {
    it("sdk-session moves an imported anonymous token to the external_id's profile and deletes the temporary one", async () => {
      // GIVEN an anonymous import of one Android token and a known user
      await post(url(), "/users/track", {
        attributes: [
          { push_token_import: true, push_tokens: [{ app_id: APP.android, token: fcmToken(4) }] },
        ],
      });
      await post(url(), "/users/track", {
        attributes: [{ external_id: "sdk-1", first_name: "S" }],
      });
      const temporary = await tokenLookup(url(), APP.android, fcmToken(4));
      expect(temporary).toMatchObject({ held: true, external_id: null, temporary: true });

      // WHEN the SDK registers the token for sdk-1
      const session = await admin(url(), "POST", "/sdk-session", {
        app_id: APP.android,
        token: fcmToken(4),
        external_id: "sdk-1",
      });

      // THEN sdk-1 holds it and the temporary profile is gone
      const sdkUser = await tokenLookup(url(), APP.android, fcmToken(4));
      expect(session.body).toEqual({
        braze_id: sdkUser.braze_id,
        external_id: "sdk-1",
        previous_braze_id: temporary.braze_id,
        temporary_profile_deleted: true,
      });
      expect(sdkUser).toMatchObject({ held: true, external_id: "sdk-1", temporary: false });
      expect((await admin(url(), "GET", "/stats")).body).toMatchObject({
        users: 1,
        temporaryUsers: 0,
        tokens: 1,
      });
    });

    it("sdk-session without an external_id puts the token on a new anonymous profile", async () => {
      const session = await admin(url(), "POST", "/sdk-session", {
        app_id: APP.ios,
        token: apnsToken(5),
        device_id: "device-0005",
      });

      expect(session.body).toEqual({
        braze_id: expect.stringMatching(/^[0-9a-f]{24}$/),
        external_id: null,
        previous_braze_id: null,
        temporary_profile_deleted: false,
      });
      expect(await tokenLookup(url(), APP.ios, apnsToken(5))).toEqual({
        held: true,
        braze_id: session.body.braze_id,
        external_id: null,
        temporary: false,
        device_id: "device-0005",
      });
    });

    it("uninstall removes the token", async () => {
      await importIdentified(url(), "un-1", apnsToken(6));

      const first = await admin(url(), "POST", "/uninstall", {
        app_id: APP.ios,
        token: apnsToken(6),
      });
      const again = await admin(url(), "POST", "/uninstall", {
        app_id: APP.ios,
        token: apnsToken(6),
      });

      expect(first.body).toEqual({ removed: true });
      expect(again.body).toEqual({ removed: false });
      expect(await tokenLookup(url(), APP.ios, apnsToken(6))).toEqual({ held: false });
      expect((await admin(url(), "GET", "/stats")).body).toMatchObject({ users: 1, tokens: 0 });
    });

    it("monthly-cleanup deletes only temporary profiles without a token", async () => {
      // GIVEN two temporary profiles, one of which loses its token, and a tokenless known user
      await post(url(), "/users/track", {
        attributes: [
          { push_token_import: true, push_tokens: [{ app_id: APP.android, token: fcmToken(7) }] },
          { push_token_import: true, push_tokens: [{ app_id: APP.android, token: fcmToken(8) }] },
          { external_id: "tokenless", first_name: "T" },
        ],
      });
      await admin(url(), "POST", "/uninstall", { app_id: APP.android, token: fcmToken(7) });

      const cleanup = await admin(url(), "POST", "/monthly-cleanup");

      expect(cleanup.body).toEqual({ deleted: 1 });
      expect((await admin(url(), "GET", "/stats")).body).toMatchObject({
        users: 2,
        temporaryUsers: 1,
        tokens: 1,
      });
      expect(await tokenLookup(url(), APP.android, fcmToken(8))).toMatchObject({
        held: true,
        temporary: true,
      });
    });

    it("tokens tells which profile holds a token", async () => {
      await post(url(), "/users/track", {
        attributes: [
          {
            external_id: "tok-1",
            push_tokens: [{ app_id: APP.ios, token: apnsToken(9), device_id: "device-0009" }],
          },
        ],
      });
      const exported = await post(url(), "/users/export/ids", {
        external_ids: ["tok-1"],
        fields_to_export: ["braze_id"],
      });

      expect(await tokenLookup(url(), APP.ios, apnsToken(9))).toEqual({
        held: true,
        braze_id: exported.body.users[0].braze_id,
        external_id: "tok-1",
        temporary: false,
        device_id: "device-0009",
      });
      // the same token string under another app is another token
      expect(await tokenLookup(url(), APP.android, apnsToken(9))).toEqual({ held: false });
    });
  });

  describe("request log", () => {
    it("records Braze requests newest first without the API key", async () => {
      const secret = "s3cr3t-key-never-logged";
      await admin(url(), "POST", "/keys", { key: secret, permissions: "*" });
      await trackAs(url(), secret);
      await post(url(), "/users/track", { attributes: [] }, "wrong-key");

      const log = await admin(url(), "GET", "/requests?limit=10");

      expect(log.body.requests).toEqual([
        {
          id: expect.any(Number),
          at: expect.any(Number),
          method: "POST",
          path: "/users/track",
          status: 401,
          duration_ms: expect.any(Number),
          objects: 0,
          key_fingerprint: fingerprint("wrong-key"),
          fault: null,
          errors: 0,
        },
        {
          id: expect.any(Number),
          at: expect.any(Number),
          method: "POST",
          path: "/users/track",
          status: 201,
          duration_ms: expect.any(Number),
          objects: 1,
          key_fingerprint: fingerprint(secret),
          fault: null,
          errors: 0,
        },
      ]);
      expect(JSON.stringify(log.body)).not.toContain(secret);
      expect(JSON.stringify(log.body)).not.toContain("wrong-key");
    });

    it("gives at most limit entries", async () => {
      for (let i = 0; i < 3; i += 1) await trackAs(url(), KEY);

      expect((await admin(url(), "GET", "/requests?limit=2")).body.requests).toHaveLength(2);
    });
  });

  describe("fault rules", () => {
    it("lists, adds and clears rules", async () => {
      const added = await admin(url(), "POST", "/faults", {
        kind: "status",
        status: 503,
        count: 2,
      });
      expect(added.body).toEqual({
        id: expect.any(Number),
        endpoint: "*",
        kind: "status",
        status: 503,
        count: 2,
        remaining: 2,
        hits: 0,
      });
      await trackAs(url(), KEY);

      const listed = await admin(url(), "GET", "/faults");
      expect(listed.body).toEqual({ faults: [{ ...added.body, remaining: 1, hits: 1 }] });

      expect((await admin(url(), "DELETE", "/faults")).body).toEqual({ cleared: true });
      expect((await admin(url(), "GET", "/faults")).body).toEqual({ faults: [] });
      expect((await trackAs(url(), KEY)).status).toBe(201);
    });

    it("reset clears the rules", async () => {
      await admin(url(), "POST", "/faults", { kind: "status", status: 500 });

      await admin(url(), "POST", "/reset");

      expect((await admin(url(), "GET", "/faults")).body).toEqual({ faults: [] });
    });
  });

  describe("invalid input", () => {
    it.each([
      ["POST", "/apps", { appId: "", name: "x", platform: "ios" }, "appId: "],
      ["POST", "/apps", { appId: "x", name: "x", platform: "windows" }, "platform: "],
      ["POST", "/keys", { key: "k", permissions: ["users.everything"] }, "permissions"],
      ["POST", "/sdk-session", { app_id: APP.ios }, "token: "],
      ["POST", "/uninstall", { app_id: APP.ios, token: "t", extra: 1 }, "(body): "],
      ["POST", "/faults", { kind: "status" }, 'status: a fault of kind "status" needs "status"'],
      ["POST", "/faults", { kind: "slow" }, 'delayMs: a fault of kind "slow" needs "delayMs"'],
      ["POST", "/faults", { kind: "explode" }, "kind: "],
      ["POST", "/faults", { kind: "status", status: 418 }, "status: "],
      ["POST", "/faults", { kind: "drop-before", share: 2 }, "share: "],
      ["POST", "/faults", { kind: "drop-before", endpoint: "/nope" }, "endpoint: "],
      ["POST", "/reset", { config: "yes" }, "config: "],
      ["POST", `/apps/${APP.android}/flatten`, { flatten: "on" }, "flatten: "],
      ["GET", "/tokens?app_id=x", undefined, "token: "],
    ] as const)("%s %s %j answers 400 naming the field", async (method, path, body, issue) => {
      const answer = await admin(url(), method, path, body);

      expect(answer.status).toBe(400);
      expect(answer.body.message).toBe("invalid admin request");
      expect(answer.body.errors.some((e: string) => e.startsWith(issue))).toBe(true);
    });

    it("refuses a body that is not JSON", async () => {
      const res = await request(`${url()}/_emulator/apps`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{not json",
      });

      expect(res.statusCode).toBe(400);
      expect(await res.body.json()).toEqual({ message: "the body is not valid JSON" });
    });

    it("refuses a limit that is not a positive whole number", async () => {
      const answer = await admin(url(), "GET", "/outbox?limit=0");

      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ message: 'limit must be a positive whole number, got "0"' });
    });

    it("refuses to flatten an app that is not an Android app, or is unknown", async () => {
      const ios = await admin(url(), "POST", `/apps/${APP.ios}/flatten`, { flatten: true });
      const unknown = await admin(url(), "POST", "/apps/nope/flatten", { flatten: true });

      expect(ios.status).toBe(400);
      expect(ios.body).toEqual({
        message: 'app "Emulated iOS" is ios: only Android apps flatten',
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ message: 'no app with app_id "nope"' });
    });

    it("answers 404 for an unknown admin path or an sdk-session of an unknown app", async () => {
      const path = await admin(url(), "GET", "/nothing");
      const session = await admin(url(), "POST", "/sdk-session", { app_id: "nope", token: "t" });

      expect(path.status).toBe(404);
      expect(path.body).toEqual({ message: "no admin endpoint GET /_emulator/nothing" });
      expect(session.status).toBe(404);
      expect(session.body).toEqual({ message: 'no app with app_id "nope"' });
    });
  });
});

describe("fault kinds", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
  });

  it.each([
    [500, "Internal Server Error"],
    [502, "Bad Gateway"],
    [503, "Service Unavailable"],
    [504, "Gateway Timeout"],
  ])("status %i answers with that status and applies nothing", async (status, message) => {
    await addFault(url(), { kind: "status", status });

    const answer = await importIdentified(url(), "f-1", apnsToken(1));

    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ message });
    expect(answer.headers["x-ratelimit-retry-after"]).toBeUndefined();
    expect((await admin(url(), "GET", "/stats")).body.users).toBe(0);
    expect((await admin(url(), "GET", "/requests?limit=1")).body.requests[0]).toMatchObject({
      status,
      fault: `status-${status}`,
    });
  });

  it("status 429 answers like the rate limiter, with x-ratelimit-retry-after", async () => {
    await addFault(url(), { kind: "status", status: 429 });

    const answer = await importIdentified(url(), "f-2", apnsToken(2));

    expect(answer.status).toBe(429);
    expect(answer.body).toEqual({ message: "API Rate Limit Exceeded" });
    expect(answer.headers["x-ratelimit-limit"]).toBe("3000");
    expect(answer.headers["x-ratelimit-remaining"]).toBe("0");
    expect(Number(answer.headers["x-ratelimit-retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(answer.headers["x-ratelimit-retry-after"])).toBeLessThanOrEqual(3);
    expect((await admin(url(), "GET", "/stats")).body.users).toBe(0);
  });

  it("drop-before closes the connection and applies nothing", async () => {
    await addFault(url(), { kind: "drop-before" });

    await expect(importIdentified(url(), "f-3", apnsToken(3))).rejects.toThrow();

    expect((await admin(url(), "GET", "/stats")).body).toEqual(EMPTY_STATS);
  });

  it("drop-after applies the request, then closes the connection without answering", async () => {
    await addFault(url(), { kind: "drop-after" });

    await expect(importIdentified(url(), "f-4", apnsToken(4))).rejects.toThrow();

    expect((await admin(url(), "GET", "/stats")).body).toMatchObject({ users: 1, tokens: 1 });
    expect((await admin(url(), "GET", "/requests?limit=1")).body.requests[0]).toMatchObject({
      status: 0,
      fault: "drop-after",
    });
  });

  it("slow applies the request and answers delayMs later", async () => {
    await addFault(url(), { kind: "slow", delayMs: 300, count: 1 });

    const started = Date.now();
    const answer = await importIdentified(url(), "f-5", apnsToken(5));
    const elapsed = Date.now() - started;

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ message: "success", attributes_processed: 1 });
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect((await admin(url(), "GET", "/stats")).body.users).toBe(1);

    // the rule had a count of 1: the next request is not delayed
    const fast = Date.now();
    await importIdentified(url(), "f-6", apnsToken(6));
    expect(Date.now() - fast).toBeLessThan(300);
  });

  it("malformed applies the request and answers with a body that is not JSON", async () => {
    await addFault(url(), { kind: "malformed" });

    const res = await request(`${url()}/users/track`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        attributes: [
          { external_id: "f-7", push_tokens: [{ app_id: APP.ios, token: apnsToken(7) }] },
        ],
      }),
    });
    const text = await res.body.text();

    expect(res.statusCode).toBe(201);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect('{"message":"success","attributes_processed":1}'.startsWith(text)).toBe(true);
    expect((await admin(url(), "GET", "/stats")).body.users).toBe(1);
  });

  it("count hits only the next N requests", async () => {
    await addFault(url(), { kind: "status", status: 503, count: 2 });

    const statuses = [];
    for (let n = 10; n < 14; n += 1) {
      statuses.push((await importIdentified(url(), `c-${n}`, apnsToken(n))).status);
    }

    expect(statuses).toEqual([503, 503, 201, 201]);
    expect((await admin(url(), "GET", "/faults")).body).toEqual({ faults: [] });
  });

  it("a rule with an endpoint hits only that endpoint", async () => {
    await addFault(url(), { endpoint: "/users/export/ids", kind: "status", status: 502 });

    const tracked = await importIdentified(url(), "e-1", apnsToken(20));
    const exported = await post(url(), "/users/export/ids", {
      external_ids: ["e-1"],
      fields_to_export: ["external_id"],
    });

    expect(tracked.status).toBe(201);
    expect(exported.status).toBe(502);
  });

  it("rules are tried in the order they were added", async () => {
    await addFault(url(), { endpoint: "/users/track", kind: "status", status: 504, count: 1 });
    await addFault(url(), { kind: "status", status: 500, count: 1 });

    const first = await importIdentified(url(), "o-1", apnsToken(30));
    const second = await importIdentified(url(), "o-2", apnsToken(31));
    const third = await importIdentified(url(), "o-3", apnsToken(32));

    expect([first.status, second.status, third.status]).toEqual([504, 500, 201]);
  });

  it("faults never touch the admin API", async () => {
    await addFault(url(), { kind: "drop-before" });

    expect((await admin(url(), "GET", "/stats")).status).toBe(200);
  });
});

describe("fault share", () => {
  // the emulator's random source answers 0.2, 0.7, 0.2, 0.7, ...
  let calls = 0;
  const emulator = useEmulator({ random: () => (calls++ % 2 === 0 ? 0.2 : 0.7) });

  it("hits the requests whose random draw falls below the share", async () => {
    await addFault(emulator.current.url, { kind: "status", status: 503, share: 0.5 });

    const statuses = [];
    for (let n = 0; n < 4; n += 1) {
      statuses.push((await importIdentified(emulator.current.url, `s-${n}`, apnsToken(n))).status);
    }

    expect(statuses).toEqual([503, 201, 503, 201]);
  });

  it("with a count, hits a share until the count is used up", async () => {
    await admin(emulator.current.url, "POST", "/reset");
    calls = 0;
    await addFault(emulator.current.url, { kind: "status", status: 500, share: 0.5, count: 1 });

    const statuses = [];
    for (let n = 10; n < 14; n += 1) {
      statuses.push((await importIdentified(emulator.current.url, `s-${n}`, apnsToken(n))).status);
    }

    expect(statuses).toEqual([500, 201, 201, 201]);
  });
});

describe("faults from the config file", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "braze-faults-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("applies the config's faults array from the start", async () => {
    const file = join(dir, "emulator.json");
    writeFileSync(
      file,
      JSON.stringify({
        faults: [
          { endpoint: "/users/track", kind: "status", status: 503, count: 1 },
          { endpoint: "/users/export/ids", kind: "status", status: 429 },
        ],
      }),
    );
    const emulator = await startEmulator({ port: 0, config: loadConfigFile(file) });

    try {
      const listed = await admin(emulator.url, "GET", "/faults");
      expect(listed.body.faults).toHaveLength(2);

      const first = await importIdentified(emulator.url, "cf-1", apnsToken(1));
      const second = await importIdentified(emulator.url, "cf-1", apnsToken(1));
      const exported = await post(emulator.url, "/users/export/ids", {
        external_ids: ["cf-1"],
        fields_to_export: ["external_id"],
      });

      expect(first.status).toBe(503);
      expect(second.status).toBe(201);
      expect(exported.status).toBe(429);
    } finally {
      await emulator.close();
    }
  });
});

// --- helpers ------------------------------------------------------------------------------

function importIdentified(baseUrl: string, externalId: string, token: string): Promise<Answer> {
  return post(baseUrl, "/users/track", {
    attributes: [{ external_id: externalId, push_tokens: [{ app_id: APP.ios, token }] }],
  });
}

function trackAs(baseUrl: string, key: string): Promise<Answer> {
  return post(
    baseUrl,
    "/users/track",
    { attributes: [{ external_id: "k-1", first_name: "K" }] },
    key,
  );
}

async function addFault(baseUrl: string, rule: Record<string, unknown>): Promise<void> {
  const answer = await admin(baseUrl, "POST", "/faults", rule);
  expect(answer.status).toBe(200);
}

async function tokenLookup(baseUrl: string, appId: string, token: string) {
  const query = new URLSearchParams({ app_id: appId, token });
  return (await admin(baseUrl, "GET", `/tokens?${query}`)).body;
}

function appIds(answer: Answer): string[] {
  return answer.body.apps.map((app: { appId: string }) => app.appId);
}

function fingerprint(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 12);
}

describe("reset of what lives outside the store", () => {
  const emulator = useEmulator({
    config: {
      rateLimits: { usersTrack: { limit: 2, windowSeconds: 60 } },
      faults: [{ endpoint: "/users/export/ids", kind: "status", status: 503 }],
      limits: { segmentExportReadyDelayMs: 0, requireFieldsToExport: false },
    },
  });
  const url = () => emulator.current.url;
  const track = () =>
    post(url(), "/users/track", { attributes: [{ external_id: "r-1", first_name: "R" }] });

  it("starts rate-limit windows afresh", async () => {
    expect((await track()).status).toBe(201);
    expect((await track()).status).toBe(201);
    expect((await track()).status).toBe(429);

    await admin(url(), "POST", "/reset");

    const after = await track();
    expect(after.status).toBe(201);
    expect(after.headers["x-ratelimit-remaining"]).toBe("1");
  });

  it("keeps the config's fault rules and drops those added since start", async () => {
    await admin(url(), "POST", "/faults", {
      endpoint: "/users/delete",
      kind: "status",
      status: 500,
    });
    await admin(url(), "POST", "/reset");

    const faults = (await admin(url(), "GET", "/faults")).body.faults;
    expect(faults.map((f: { endpoint: string }) => f.endpoint)).toEqual(["/users/export/ids"]);
    expect((await post(url(), "/users/export/ids", { external_ids: ["r-1"] })).status).toBe(503);
  });

  it("drops segment exports, whose URLs then answer 404", async () => {
    const started = await post(url(), "/users/export/segment", { segment_id: "all-users" });
    expect(started.status).toBe(201);

    await admin(url(), "POST", "/reset");

    const res = await request(started.body.url);
    await res.body.dump();
    expect(res.statusCode).toBe(404);
  });

  it("hands out export URLs on the host the client reached", async () => {
    const port = new URL(url()).port;
    const res = await request(`${url()}/users/export/segment`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${KEY}`,
        "content-type": "application/json",
        host: `localhost:${port}`,
      },
      body: JSON.stringify({ segment_id: "all-users" }),
    });
    const body = (await res.body.json()) as { url: string };
    expect(body.url.startsWith(`http://localhost:${port}/segment-exports/`)).toBe(true);
  });
});
