import { APP, apnsToken, useEmulator } from "../helpers";
import { clientFor, closeClients, fault, rejectionOf } from "./client-helpers";

describe("BrazeClient under a 429 storm", () => {
  // one-second windows keep each retry-after short
  const emulator = useEmulator({
    config: {
      rateLimits: {
        usersTrack: { limit: 100, windowSeconds: 1 },
        resetFormat: "seconds-remaining",
      },
    },
  });
  const url = () => emulator.current.url;
  afterAll(closeClients);

  it("waits out five 429s as the headers say, then succeeds", async () => {
    await fault(url(), { endpoint: "/users/track", kind: "status", status: 429, count: 5 });
    const client = clientFor(url(), { retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 8 } });
    const started = Date.now();

    const result = await client.track(
      {
        attributes: [
          { external_id: "storm", push_tokens: [{ app_id: APP.ios, token: apnsToken(1) }] },
        ],
      },
      { idempotent: false },
    );

    expect(result.processed).toEqual({ attributes: 1 });
    expect(client.stats).toMatchObject({ requests: 6, retries: 5, rateLimited: 5 });
    // each retry waited for the next window rather than the few ms of backoff
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
  });

  it("fails with BRAZE_RATE_LIMIT_EXHAUSTED when 429s outlast the attempts", async () => {
    await fault(url(), { endpoint: "/users/track", kind: "status", status: 429, count: 5 });
    const client = clientFor(url(), { retry: { maxAttempts: 2 } });

    const err = await rejectionOf(
      client.track({ attributes: [{ external_id: "storm-2" }] }, { idempotent: false }),
    );

    expect(err.code).toBe("BRAZE_RATE_LIMIT_EXHAUSTED");
    expect(err.status).toBe(429);
    expect(err.attempts).toBe(2);
    expect(err.message).toMatch(
      /^Braze kept answering 429 to POST \/users\/track: gave up after 2 attempts over/,
    );
  });
});
