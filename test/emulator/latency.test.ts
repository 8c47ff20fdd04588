import { APP, fcmToken, post, useEmulator } from "../helpers";

// the emulator waits fixedMs plus jitterMs x random() before answering a Braze endpoint
describe("artificial latency", () => {
  const emulator = useEmulator({
    config: { latency: { fixedMs: 150, jitterMs: 100 } },
    random: () => 0.5,
  });

  async function elapsed(fn: () => Promise<unknown>): Promise<number> {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  }

  it("delays a successful answer by fixedMs plus the jitter drawn", async () => {
    const ms = await elapsed(async () => {
      const res = await post(emulator.current.url, "/users/track", {
        attributes: [
          { push_token_import: true, push_tokens: [{ app_id: APP.android, token: fcmToken(1) }] },
        ],
      });
      expect(res.status).toBe(201);
    });
    expect(ms).toBeGreaterThanOrEqual(200);
  });

  it("delays error answers too", async () => {
    const ms = await elapsed(async () => {
      const res = await post(emulator.current.url, "/users/track", { attributes: [] }, "wrong-key");
      expect(res.status).toBe(401);
    });
    expect(ms).toBeGreaterThanOrEqual(200);
  });
});
