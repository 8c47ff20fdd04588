import { request as httpRequest } from "node:http";
import { request } from "undici";
import type { EmulatorConfigInput, Permission } from "../../src/emulator/config";
import { startEmulator } from "../../src/emulator/server";
import { admin, APP, apnsToken, post, useEmulator } from "../helpers";

// each Braze endpoint with the permission it needs and a body it accepts
const ENDPOINTS: { path: string; permission: Permission; body: unknown }[] = [
  {
    path: "/users/track",
    permission: "users.track",
    body: { attributes: [{ external_id: "auth-1", first_name: "A" }] },
  },
  {
    path: "/users/export/ids",
    permission: "users.export.ids",
    body: { external_ids: ["auth-1"], fields_to_export: ["external_id"] },
  },
  {
    path: "/users/export/segment",
    permission: "users.export.segment",
    body: { segment_id: "all-users", fields_to_export: ["external_id"] },
  },
  { path: "/users/delete", permission: "users.delete", body: { external_ids: ["nobody"] } },
  {
    path: "/users/identify",
    permission: "users.identify",
    body: {
      aliases_to_identify: [
        { external_id: "x", user_alias: { alias_name: "n", alias_label: "l" } },
      ],
    },
  },
  {
    path: "/messages/send",
    permission: "messages.send",
    body: { external_user_ids: ["auth-1"], messages: { apple_push: { alert: "hi" } } },
  },
];

describe("API key authentication", () => {
  const emulator = useEmulator({
    config: {
      apiKeys: {
        "full-key": "*",
        "export-only": ["users.export.ids"],
        "segments-only": ["segments.list"],
        ...Object.fromEntries(ENDPOINTS.map((e) => [`only-${e.permission}`, [e.permission]])),
      },
      limits: { segmentExportReadyDelayMs: 0 },
    },
  });
  const url = () => emulator.current.url;

  describe.each(ENDPOINTS)("$path", ({ path, permission, body }) => {
    it("answers 401 without an Authorization header", async () => {
      const answer = await post(url(), path, body, null);

      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ message: "Invalid API Key" });
    });

    it("answers 401 with a key the workspace does not have", async () => {
      const answer = await post(url(), path, body, "no-such-key");

      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ message: "Invalid API Key" });
    });

    it("answers 403 Access Denied with a key that lacks the permission", async () => {
      const answer = await post(url(), path, body, "segments-only");

      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({ message: "Access Denied" });
    });

    it(`accepts a key with only ${permission}`, async () => {
      const answer = await post(url(), path, body, `only-${permission}`);

      expect(answer.status).toBe(201);
      expect(answer.body.message).toBe("success");
    });
  });

  it("lets a key with only users.export.ids export but not import", async () => {
    const exported = await post(url(), "/users/export/ids", ENDPOINTS[1].body, "export-only");
    const tracked = await post(url(), "/users/track", ENDPOINTS[0].body, "export-only");

    expect(exported.status).toBe(201);
    expect(tracked.status).toBe(403);
    expect(tracked.body).toEqual({ message: "Access Denied" });
  });

  it("answers 401 for an Authorization header that is not a bearer key", async () => {
    for (const authorization of ["full-key", "Basic full-key", "Bearer", "Bearer full-key extra"]) {
      const res = await request(`${url()}/users/track`, {
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body: JSON.stringify(ENDPOINTS[0].body),
      });
      expect(res.statusCode).toBe(401);
      expect(await res.body.json()).toEqual({ message: "Invalid API Key" });
    }
  });

  it("accepts the bearer scheme in any case", async () => {
    const res = await request(`${url()}/users/track`, {
      method: "POST",
      headers: { authorization: "bearer full-key", "content-type": "application/json" },
      body: JSON.stringify(ENDPOINTS[0].body),
    });

    expect(res.statusCode).toBe(201);
    await res.body.dump();
  });

  it("applies nothing of a refused request", async () => {
    const body = { attributes: [{ external_id: "refused", first_name: "R" }] };
    await post(url(), "/users/track", body, "no-such-key");
    await post(url(), "/users/track", body, "segments-only");

    const exported = await post(
      url(),
      "/users/export/ids",
      { external_ids: ["refused"], fields_to_export: ["external_id"] },
      "full-key",
    );
    expect(exported.body).toEqual({ message: "success", users: [], invalid_user_ids: ["refused"] });
  });

  it("answers 404 for a path that is not a Braze endpoint, before checking the key", async () => {
    const unknown = await post(url(), "/users/unknown", {}, null);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ message: "no endpoint POST /users/unknown" });

    const res = await request(`${url()}/users/track`, { method: "GET" });
    expect(res.statusCode).toBe(404);
    expect(await res.body.json()).toEqual({ message: "no endpoint GET /users/track" });
  });
});

describe("rate limits", () => {
  const WINDOW_MS = 2000;
  const config: EmulatorConfigInput = {
    apiKeys: { "key-a": "*", "key-b": "*" },
    rateLimits: { usersTrack: { limit: 3, windowSeconds: 2 } },
  };
  const track = (baseUrl: string, n: number, key = "key-a") =>
    post(
      baseUrl,
      "/users/track",
      {
        attributes: [
          { external_id: `rl-${n}`, push_tokens: [{ app_id: APP.ios, token: apnsToken(n) }] },
        ],
      },
      key,
    );

  it("counts down x-ratelimit-remaining, then answers 429 with x-ratelimit-retry-after", async () => {
    await withEmulator(config, async (url) => {
      const windowEnd = await oneWindowAhead(WINDOW_MS);

      const answers = [await track(url, 1), await track(url, 2), await track(url, 3)];
      const before = Date.now();
      const limited = await track(url, 4);
      const after = Date.now();

      expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
      expect(answers.map((a) => a.headers["x-ratelimit-limit"])).toEqual(["3", "3", "3"]);
      expect(answers.map((a) => a.headers["x-ratelimit-remaining"])).toEqual(["2", "1", "0"]);
      const resetAt = String(windowEnd / 1000);
      expect(answers.map((a) => a.headers["x-ratelimit-reset"])).toEqual([
        resetAt,
        resetAt,
        resetAt,
      ]);
      for (const answer of answers) {
        expect(answer.headers["x-ratelimit-retry-after"]).toBeUndefined();
      }

      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ message: "API Rate Limit Exceeded" });
      expect(limited.headers["x-ratelimit-limit"]).toBe("3");
      expect(limited.headers["x-ratelimit-remaining"]).toBe("0");
      expect(limited.headers["x-ratelimit-reset"]).toBe(resetAt);
      expect(secondsLeftBetween(windowEnd, before, after)).toContain(
        limited.headers["x-ratelimit-retry-after"],
      );
      expect(limited.headers["retry-after"]).toBeUndefined();

      // the limited request was not applied
      const stats = await admin(url, "GET", "/stats");
      expect(stats.body.users).toBe(3);
    });
  });

  it("sends the headers in lower case on the wire", async () => {
    await withEmulator(config, async (url) => {
      const names = await rawHeaderNames(`${url}/users/track`, "key-a", {
        attributes: [{ external_id: "rl-raw", first_name: "R" }],
      });

      expect(names.filter((name) => /^x-ratelimit/i.test(name))).toEqual([
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
      ]);
    });
  });

  it("shares one counter between every key of the workspace", async () => {
    await withEmulator(config, async (url) => {
      await oneWindowAhead(WINDOW_MS);

      await track(url, 10, "key-a");
      const second = await track(url, 11, "key-b");
      await track(url, 12, "key-a");
      const limited = await track(url, 13, "key-b");

      expect(second.headers["x-ratelimit-remaining"]).toBe("1");
      expect(limited.status).toBe(429);
    });
  });

  it("lets requests through again once the window has passed", async () => {
    await withEmulator(config, async (url) => {
      const windowEnd = await oneWindowAhead(WINDOW_MS);
      for (let n = 20; n < 23; n += 1) await track(url, n);
      expect((await track(url, 23)).status).toBe(429);

      await sleep(windowEnd - Date.now() + 20);
      const next = await track(url, 24);

      expect(next.status).toBe(201);
      expect(next.headers["x-ratelimit-remaining"]).toBe("2");
      expect(next.headers["x-ratelimit-reset"]).toBe(String((windowEnd + WINDOW_MS) / 1000));
    });
  });

  it("keeps endpoint groups apart: a limited /users/track leaves /users/delete alone", async () => {
    await withEmulator(config, async (url) => {
      await oneWindowAhead(WINDOW_MS);
      for (let n = 30; n < 33; n += 1) await track(url, n);
      expect((await track(url, 33)).status).toBe(429);

      const deleted = await post(url, "/users/delete", { external_ids: ["rl-30"] }, "key-a");
      expect(deleted.status).toBe(201);
      expect(deleted.headers["x-ratelimit-limit"]).toBe("20000");
      expect(deleted.headers["x-ratelimit-remaining"]).toBe("19999");
    });
  });

  it("gives x-ratelimit-reset as the seconds left in the window with resetFormat seconds-remaining", async () => {
    const secondsRemaining: EmulatorConfigInput = {
      rateLimits: { usersTrack: { limit: 1, windowSeconds: 2 }, resetFormat: "seconds-remaining" },
    };
    await withEmulator(secondsRemaining, async (url) => {
      const windowEnd = await oneWindowAhead(WINDOW_MS);
      const body = { attributes: [{ external_id: "sr-1", first_name: "S" }] };

      const before = Date.now();
      const first = await post(url, "/users/track", body);
      const mid = Date.now();
      const limited = await post(url, "/users/track", body);
      const after = Date.now();

      expect(first.status).toBe(201);
      expect(secondsLeftBetween(windowEnd, before, mid)).toContain(
        first.headers["x-ratelimit-reset"],
      );
      expect(limited.status).toBe(429);
      expect(secondsLeftBetween(windowEnd, mid, after)).toContain(
        limited.headers["x-ratelimit-reset"],
      );
      expect(limited.headers["x-ratelimit-retry-after"]).toBe(limited.headers["x-ratelimit-reset"]);
    });
  });

  it("gives x-ratelimit-reset as UTC epoch seconds and Braze's documented limit by default", async () => {
    await withEmulator({}, async (url) => {
      const before = Date.now();
      const answer = await post(url, "/users/track", {
        attributes: [{ external_id: "ep-1", first_name: "E" }],
      });

      expect(answer.headers["x-ratelimit-limit"]).toBe("3000");
      expect(answer.headers["x-ratelimit-remaining"]).toBe("2999");
      const reset = Number(answer.headers["x-ratelimit-reset"]) * 1000;
      expect(reset % 3000).toBe(0);
      expect(reset).toBeGreaterThan(before);
      expect(reset).toBeLessThanOrEqual(before + 3000);
    });
  });
});

// --- helpers ------------------------------------------------------------------------------

// runs `fn` against an emulator of its own, so rate-limit counters start at zero
async function withEmulator(
  config: EmulatorConfigInput,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const emulator = await startEmulator({ port: 0, config });
  try {
    await fn(emulator.url);
  } finally {
    await emulator.close();
  }
}

// windows are aligned to the epoch: when less than half a second of the current one is left,
// waits for the next, so a test's requests all fall into one window; returns when it ends (ms)
async function oneWindowAhead(windowMs: number): Promise<number> {
  const now = Date.now();
  const end = Math.floor(now / windowMs) * windowMs + windowMs;
  if (end - now >= 500) return end;
  await sleep(end - now + 10);
  return end + windowMs;
}

// the values x-ratelimit-retry-after may hold for a request sent between `before` and `after`
function secondsLeftBetween(windowEnd: number, before: number, after: number): string[] {
  return [...new Set([before, after].map((t) => String(Math.ceil((windowEnd - t) / 1000))))];
}

// header names exactly as they came over the wire (undici folds them to lower case)
function rawHeaderNames(url: string, key: string, body: unknown): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.rawHeaders.filter((_, i) => i % 2 === 0)));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
