import { GroupLimiter, readRateHeaders } from "../../src/client";
import { APP, apnsToken, useEmulator } from "../helpers";
import { clientFor, closeClients, requestLog } from "./client-helpers";

let next = 5000;
const anonymous = () => ({
  attributes: [
    { push_token_import: true, push_tokens: [{ app_id: APP.ios, token: apnsToken(next++) }] },
  ],
});

describe("BrazeClient rate limiting against a small limit", () => {
  // GIVEN a workspace that allows 20 /users/track requests a second
  const emulator = useEmulator({
    config: { rateLimits: { usersTrack: { limit: 20, windowSeconds: 1 } } },
  });
  const url = () => emulator.current.url;
  afterAll(closeClients);

  const tooMany = async (since: number) =>
    (await requestLog(url())).slice(since).filter((r) => r.status === 429).length;

  // each test starts in a fresh one-second window: what the test before used is forgotten
  beforeEach(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
  });

  it("sends a burst of 60 requests without a single 429", async () => {
    const client = clientFor(url(), {
      rateLimits: { usersTrack: { limit: 20, windowSeconds: 1 } },
      concurrency: 100,
    });
    const before = (await requestLog(url())).length;
    const started = Date.now();

    const results = await Promise.all(
      Array.from({ length: 60 }, () => client.track(anonymous(), { idempotent: true })),
    );

    expect(results.every((r) => r.rejected.length === 0)).toBe(true);
    expect(client.stats.rateLimited).toBe(0);
    expect(await tooMany(before)).toBe(0);
    // three windows' worth: it waited, but not much longer than it had to
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - started).toBeLessThan(4500);
  });

  it("learns a lower limit from x-ratelimit-limit and stays under it", async () => {
    // the client believes in 1,000 a second; the headers say 20
    const client = clientFor(url(), {
      rateLimits: { usersTrack: { limit: 1000, windowSeconds: 1 } },
      concurrency: 1,
    });
    const before = (await requestLog(url())).length;

    for (let i = 0; i < 30; i += 1) await client.track(anonymous(), { idempotent: true });

    expect(client.effectiveRateLimit("usersTrack")).toBe(20);
    expect(client.stats.rateLimited).toBe(0);
    expect(await tooMany(before)).toBe(0);
  });

  it("shares the limit between two processes with rateShare 0.5: no 429", async () => {
    const options = {
      rateLimits: { usersTrack: { limit: 20, windowSeconds: 1 } },
      rateShare: 0.5,
      concurrency: 50,
    };
    const a = clientFor(url(), options);
    const b = clientFor(url(), options);
    const before = (await requestLog(url())).length;

    await Promise.all(
      [a, b].flatMap((client) =>
        Array.from({ length: 20 }, () => client.track(anonymous(), { idempotent: true })),
      ),
    );

    expect(a.effectiveRateLimit("usersTrack")).toBe(10);
    expect(a.stats.rateLimited + b.stats.rateLimited).toBe(0);
    expect(await tooMany(before)).toBe(0);
  });

  it("honours 429s and their headers when shares add up to more than the limit", async () => {
    // two clients each believe they may use all of it: the headers and 429s keep them honest
    const options = {
      rateLimits: { usersTrack: { limit: 20, windowSeconds: 1 } },
      concurrency: 50,
    };
    const a = clientFor(url(), options);
    const b = clientFor(url(), options);

    const results = await Promise.all(
      [a, b].flatMap((client) =>
        Array.from({ length: 20 }, () => client.track(anonymous(), { idempotent: true })),
      ),
    );

    expect(results).toHaveLength(40);
    expect(results.every((r) => r.rejected.length === 0)).toBe(true);
    // every 429 was retried, and the retries add up
    const limited = a.stats.rateLimited + b.stats.rateLimited;
    expect(a.stats.retries + b.stats.retries).toBe(limited);
  });
});

describe("GroupLimiter", () => {
  it("never starts more than the limit in any window", async () => {
    let now = 0;
    const limiter = new GroupLimiter({
      setting: { limit: 3, windowSeconds: 0.2 },
      share: 1,
      marginMs: 0,
      now: () => now,
    });
    for (let i = 0; i < 3; i += 1) await limiter.acquire();

    let fourth = false;
    const pending = limiter.acquire().then(() => (fourth = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fourth).toBe(false);

    now = 200;
    await pending;
    expect(fourth).toBe(true);
  });

  it("uses its share of the limit, at least one request", () => {
    const make = (share: number) =>
      new GroupLimiter({ setting: { limit: 3000, windowSeconds: 3 }, share, marginMs: 0 })
        .effectiveLimit;
    expect(make(1)).toBe(3000);
    expect(make(0.1)).toBe(300);
    expect(
      new GroupLimiter({ setting: { limit: 1, windowSeconds: 1 }, share: 0.1, marginMs: 0 })
        .effectiveLimit,
    ).toBe(1);
    expect(() => make(0)).toThrow("rateShare must be in (0, 1], got 0");
    expect(() => make(1.5)).toThrow("rateShare must be in (0, 1], got 1.5");
  });
});

describe("readRateHeaders", () => {
  const now = 1_700_000_000_500;

  it("reads a reset in epoch seconds", () => {
    const h = {
      "x-ratelimit-limit": "3000",
      "x-ratelimit-remaining": "12",
      "x-ratelimit-reset": "1700000003",
    };
    expect(readRateHeaders(h, now)).toEqual({
      limit: 3000,
      remaining: 12,
      resetAtMs: 1_700_000_003_000,
    });
    expect(readRateHeaders(h, now, "epoch-seconds").resetAtMs).toBe(1_700_000_003_000);
  });

  it("reads a reset in seconds remaining", () => {
    const h = { "x-ratelimit-reset": "2", "x-ratelimit-retry-after": "2" };
    expect(readRateHeaders(h, now)).toEqual({ resetAtMs: now + 2000, retryAfterMs: 2000 });
    expect(readRateHeaders(h, now, "seconds-remaining").resetAtMs).toBe(now + 2000);
  });

  it("follows the format setting over detection", () => {
    expect(readRateHeaders({ "x-ratelimit-reset": "5" }, now, "epoch-seconds").resetAtMs).toBe(
      5000,
    );
  });

  it("leaves out headers that are absent or not numbers", () => {
    expect(readRateHeaders({ "x-ratelimit-limit": "lots", "retry-after": "3" }, now)).toEqual({
      retryAfterMs: 3000,
    });
  });
});
