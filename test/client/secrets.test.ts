import { inspect } from "node:util";
import { BrazeClient, type BrazeError } from "../../src/client";
import { useEmulator } from "../helpers";
import { clientFor, closeClients, fault, rejectionOf } from "./client-helpers";

const SECRET = "sk-live-5f2c9e0d-SECRET-KEY";
const NO_PERMISSION = "sk-live-nopermission-SECRET";

/** Every way an error may be shown or stored. */
function renderings(err: unknown): string[] {
  const e = err as Error;
  return [
    String(e),
    e.message,
    e.stack ?? "",
    JSON.stringify(e),
    inspect(e, { depth: 8, showHidden: true }),
  ];
}

describe("the API key never appears in errors", () => {
  const emulator = useEmulator({
    config: { apiKeys: { [SECRET]: "*", [NO_PERMISSION]: ["messages.send"] } },
  });
  const url = () => emulator.current.url;
  afterAll(closeClients);

  it("is absent from every error the client raises", async () => {
    const errors: BrazeError[] = [];
    const client = clientFor(url(), {
      apiKey: SECRET,
      retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 },
    });

    // 401 with a wrong key that is itself a secret
    errors.push(
      await rejectionOf(
        clientFor(url(), { apiKey: `${SECRET}-typo` }).track(
          { attributes: [] },
          { idempotent: true },
        ),
      ),
    );
    // 403
    errors.push(
      await rejectionOf(
        clientFor(url(), { apiKey: NO_PERMISSION }).track({ attributes: [] }, { idempotent: true }),
      ),
    );
    // fatal 400
    errors.push(
      await rejectionOf(
        client.track({ attributes: Array(80).fill({ external_id: "x" }) }, { idempotent: false }),
      ),
    );
    // unknown outcome, server, malformed
    await fault(url(), { endpoint: "/users/track", kind: "drop-after", count: 1 });
    errors.push(
      await rejectionOf(
        client.track({ attributes: [{ external_id: "s" }] }, { idempotent: false }),
      ),
    );
    await fault(url(), { endpoint: "/users/delete", kind: "status", status: 500, count: 2 });
    errors.push(await rejectionOf(client.deleteUsers({ externalIds: ["s"] })));
    await fault(url(), { endpoint: "/users/delete", kind: "malformed", count: 2 });
    errors.push(await rejectionOf(client.deleteUsers({ externalIds: ["s"] })));

    expect(errors.map((e) => e.code)).toEqual([
      "BRAZE_AUTH",
      "BRAZE_PERMISSION",
      "BRAZE_BAD_REQUEST",
      "BRAZE_OUTCOME_UNKNOWN",
      "BRAZE_SERVER",
      "BRAZE_MALFORMED_RESPONSE",
    ]);
    for (const err of errors) {
      for (const text of renderings(err)) expect(text).not.toContain("SECRET");
    }
  });

  it("is absent from config errors and from the client object itself", () => {
    const err = (() => {
      try {
        BrazeClient.fromEnv(
          {},
          { BRAZE_REST_ENDPOINT: `http://user:${SECRET}@example.com`, BRAZE_API_KEY: SECRET },
        );
      } catch (e) {
        return e;
      }
      throw new Error("expected a config error");
    })();
    expect((err as BrazeError).code).toBe("BRAZE_CONFIG");
    for (const text of renderings(err)) expect(text).not.toContain("SECRET");

    const client = new BrazeClient({ endpoint: url(), apiKey: SECRET });
    expect(JSON.stringify(client)).not.toContain("SECRET");
    expect(inspect(client, { depth: 8, showHidden: true })).not.toContain("SECRET");
    expect(Object.values(client).join(" ")).not.toContain("SECRET");
    void client.close();
  });

  it("is scrubbed from text a server echoes back", async () => {
    // a broken proxy that repeats the Authorization header in its error page
    const client = new BrazeClient({
      endpoint: url(),
      apiKey: SECRET,
      transport: {
        async request(req) {
          const { Readable } = await import("node:stream");
          const body = JSON.stringify({
            message: `bad header: ${req.headers.authorization}`,
            errors: [req.headers.authorization],
          });
          return { status: 400, headers: {}, body: Readable.from([body]) };
        },
        close: async () => undefined,
      },
    });
    const err = await rejectionOf(client.track({ attributes: [] }, { idempotent: true }));
    expect(err.brazeMessage).toBe("bad header: Bearer [redacted]");
    expect(err.details).toEqual(["Bearer [redacted]"]);
    for (const text of renderings(err)) expect(text).not.toContain("SECRET");
  });
});
