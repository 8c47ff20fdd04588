import { BrazeClient } from "../../src/client";
import { admin, APP, apnsToken, KEY, useEmulator } from "../helpers";
import { clientFor, closeClients, fault, rejectionOf, requestLog } from "./client-helpers";

let next = 1000;
// an anonymous import of one fresh token, and an identified one of a fresh external_id
const anonymous = () => ({
  attributes: [
    { push_token_import: true, push_tokens: [{ app_id: APP.ios, token: apnsToken(next++) }] },
  ],
});
const identified = () => ({
  attributes: [
    { external_id: `fault-${next}`, push_tokens: [{ app_id: APP.ios, token: apnsToken(next++) }] },
  ],
});

describe("BrazeClient under faults", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;
  afterAll(closeClients);
  beforeEach(async () => {
    await admin(url(), "DELETE", "/faults");
  });

  it.each([500, 502, 503, 504])("retries a %i and succeeds", async (status) => {
    await fault(url(), { endpoint: "/users/track", kind: "status", status, count: 2 });
    const client = clientFor(url());

    const result = await client.track(identified(), { idempotent: false });

    expect(result.processed).toEqual({ attributes: 1 });
    expect(client.stats).toMatchObject({ requests: 3, retries: 2 });
  });

  it("fails with BRAZE_SERVER when 5xx answers outlast the attempts", async () => {
    await fault(url(), { endpoint: "/users/delete", kind: "status", status: 503 });
    const client = clientFor(url(), { retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 } });

    const err = await rejectionOf(client.deleteUsers({ externalIds: ["x"] }));

    expect(err.code).toBe("BRAZE_SERVER");
    expect(err.status).toBe(503);
    expect(err.attempts).toBe(3);
    expect(err.message).toMatch(
      /^Braze answered 503 "Service Unavailable" to POST \/users\/delete on every one of 3 attempts over/,
    );
  });

  it("stops retrying when the next wait would pass maxElapsedMs", async () => {
    await fault(url(), { endpoint: "/users/delete", kind: "status", status: 500 });
    const client = clientFor(url(), {
      retry: { baseDelayMs: 200, maxDelayMs: 200, maxAttempts: 100, maxElapsedMs: 300 },
      random: () => 0.99,
    });

    const err = await rejectionOf(client.deleteUsers({ externalIds: ["x"] }));

    expect(err.code).toBe("BRAZE_SERVER");
    expect(err.attempts).toBeLessThanOrEqual(3);
  });

  it("retries a request dropped before it was applied when the call is idempotent", async () => {
    await fault(url(), { endpoint: "/users/track", kind: "drop-before", count: 1 });
    const client = clientFor(url());
    const body = anonymous();

    const result = await client.track(body, { idempotent: true });

    expect(result.rejected).toEqual([]);
    expect(client.stats.retries).toBe(1);
    const held = await admin(
      url(),
      "GET",
      `/tokens?app_id=${APP.ios}&token=${body.attributes[0].push_tokens[0].token}`,
    );
    expect(held.body.held).toBe(true);
  });

  it("reports a drop before applying as unknown for a non-idempotent call: the client cannot tell it from a drop after", async () => {
    await fault(url(), { endpoint: "/users/track", kind: "drop-before", count: 1 });
    const client = clientFor(url());

    const err = await rejectionOf(client.track(identified(), { idempotent: false }));

    expect(err.code).toBe("BRAZE_OUTCOME_UNKNOWN");
    expect(err.reason).toBe("connection-lost");
  });

  it("re-sends an idempotent call whose connection dropped after it was applied", async () => {
    await fault(url(), { endpoint: "/users/track", kind: "drop-after", count: 1 });
    const client = clientFor(url());
    const body = anonymous();

    const result = await client.track(body, { idempotent: true });

    expect(result.rejected).toEqual([]);
    const log = (await requestLog(url())).filter((r) => r.path === "/users/track").slice(-2);
    expect(log.map((r) => [r.status, r.fault])).toEqual([
      [0, "drop-after"],
      [201, null],
    ]);
  });

  it("fails a non-idempotent call whose connection dropped after sending with BRAZE_OUTCOME_UNKNOWN, without re-sending", async () => {
    await fault(url(), { endpoint: "/users/track", kind: "drop-after", count: 1 });
    const client = clientFor(url());
    const body = identified();

    const err = await rejectionOf(client.track(body, { idempotent: false }));

    expect(err.code).toBe("BRAZE_OUTCOME_UNKNOWN");
    expect(err.reason).toBe("connection-lost");
    expect(err.attempts).toBe(1);
    expect(err.message).toMatch(
      /^the outcome of POST \/users\/track is unknown: the connection was lost after the request was sent \(UND_ERR_SOCKET\); Braze may or may not have applied it/,
    );
    expect(client.stats).toMatchObject({ requests: 1, retries: 0, outcomeUnknown: 1 });
    // it was in fact applied: exactly why it must not be counted as failed either
    const held = await admin(
      url(),
      "GET",
      `/tokens?app_id=${APP.ios}&token=${body.attributes[0].push_tokens[0].token}`,
    );
    expect(held.body.external_id).toBe(body.attributes[0].external_id);
  });

  it("treats an answer slower than timeoutMs as unknown: re-sent when idempotent, reported otherwise", async () => {
    await fault(url(), { endpoint: "/users/track", kind: "slow", delayMs: 400, count: 1 });
    const idempotent = clientFor(url(), { timeoutMs: 150 });
    const result = await idempotent.track(anonymous(), { idempotent: true });
    expect(result.rejected).toEqual([]);
    expect(idempotent.stats.retries).toBe(1);

    await fault(url(), { endpoint: "/users/track", kind: "slow", delayMs: 400, count: 1 });
    const careful = clientFor(url(), { timeoutMs: 150 });
    const err = await rejectionOf(careful.track(identified(), { idempotent: false }));
    expect(err.code).toBe("BRAZE_OUTCOME_UNKNOWN");
    expect(err.reason).toBe("timeout");
    expect(err.message).toContain("no answer within timeoutMs=150 (UND_ERR_HEADERS_TIMEOUT)");
  });

  it("waits for a slow answer within timeoutMs", async () => {
    await fault(url(), { endpoint: "/users/track", kind: "slow", delayMs: 100, count: 1 });
    const client = clientFor(url(), { timeoutMs: 2000 });
    const result = await client.track(identified(), { idempotent: false });
    expect(result.processed).toEqual({ attributes: 1 });
    expect(client.stats.retries).toBe(0);
  });

  it("treats a truncated success body as unknown: re-sent when idempotent, reported otherwise", async () => {
    await fault(url(), { endpoint: "/users/track", kind: "malformed", count: 1 });
    const idempotent = clientFor(url());
    expect((await idempotent.track(anonymous(), { idempotent: true })).rejected).toEqual([]);
    expect(idempotent.stats.retries).toBe(1);

    await fault(url(), { endpoint: "/users/track", kind: "malformed", count: 1 });
    const careful = clientFor(url());
    const err = await rejectionOf(careful.track(identified(), { idempotent: false }));
    expect(err.code).toBe("BRAZE_OUTCOME_UNKNOWN");
    expect(err.reason).toBe("malformed-success");
  });

  it("fails with BRAZE_MALFORMED_RESPONSE when an idempotent call keeps getting unreadable bodies", async () => {
    await fault(url(), { endpoint: "/users/export/ids", kind: "malformed" });
    const client = clientFor(url(), { retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 } });

    const err = await rejectionOf(
      client.exportIds({ externalIds: ["x"], fieldsToExport: ["external_id"] }),
    );

    expect(err.code).toBe("BRAZE_MALFORMED_RESPONSE");
    expect(err.attempts).toBe(3);
  });

  it("fails with BRAZE_OUTCOME_UNKNOWN when an idempotent call keeps losing its connection", async () => {
    await fault(url(), { endpoint: "/users/delete", kind: "drop-after" });
    const client = clientFor(url(), { retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 } });

    const err = await rejectionOf(client.deleteUsers({ externalIds: ["x"] }));

    expect(err.code).toBe("BRAZE_OUTCOME_UNKNOWN");
    expect(err.attempts).toBe(3);
    expect(err.message).toContain("the call is safe to re-send, run it again later");
  });

  it("retries a refused connection (nothing was sent) and then fails with BRAZE_CONNECTION", async () => {
    // a port that was just free: nothing listens on it
    const { createServer } = await import("node:net");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const client = new BrazeClient({
      endpoint: `http://127.0.0.1:${port}`,
      apiKey: KEY,
      retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 },
    });

    const err = await rejectionOf(client.track(identified(), { idempotent: false }));
    await client.close();

    expect(err.code).toBe("BRAZE_CONNECTION");
    expect(err.attempts).toBe(3);
    expect(err.message).toBe(
      `cannot connect to http://127.0.0.1:${port} (ECONNREFUSED) after 3 attempts over ${(err.message.match(/over ([\d.]+) s/) ?? [])[1]} s: check BRAZE_REST_ENDPOINT, DNS and the network; nothing was sent`,
    );
  });
});
