import { BrazeClient, UndiciTransport } from "../../src/client";
import { admin, APP, apnsToken, fcmToken, useEmulator } from "../helpers";
import { clientFor, closeClients, rejectionOf } from "./client-helpers";

const TRACK_ONLY_KEY = "track-only-key-0001";
const EXPORT_ONLY_KEY = "export-only-key-0001";
const FULL_KEY = "full-key-0001";

describe("BrazeClient endpoints", () => {
  const emulator = useEmulator({
    config: {
      apiKeys: {
        [FULL_KEY]: "*",
        [TRACK_ONLY_KEY]: ["users.track"],
        [EXPORT_ONLY_KEY]: ["users.export.ids"],
      },
    },
  });
  const client = () => clientFor(emulator.current.url, { apiKey: FULL_KEY });
  afterAll(closeClients);

  it("imports identified tokens with /users/track and reads them back with /users/export/ids", async () => {
    const result = await client().track(
      {
        attributes: [
          { external_id: "ep-1", push_tokens: [{ app_id: APP.ios, token: apnsToken(1) }] },
          { external_id: "ep-2", push_tokens: [{ app_id: APP.android, token: fcmToken(2) }] },
        ],
      },
      { idempotent: false },
    );

    expect(result).toEqual({
      message: "success",
      processed: { attributes: 2 },
      rejected: [],
      otherErrors: [],
    });
    const exported = await client().exportIds({
      externalIds: ["ep-1", "ep-2", "nobody"],
      fieldsToExport: ["external_id", "push_tokens"],
    });
    expect(exported.invalidUserIds).toEqual(["nobody"]);
    const tokens = exported.users.map((u) => [u.external_id, u.push_tokens?.[0]?.token]);
    expect(tokens.sort()).toEqual([
      ["ep-1", apnsToken(1)],
      ["ep-2", fcmToken(2)],
    ]);
    expect(exported.users.find((u) => u.external_id === "ep-1")?.push_tokens?.[0]).toMatchObject({
      app: "Emulated iOS",
      platform: "iOS",
    });
  });

  it("imports anonymous tokens with push_token_import", async () => {
    const result = await client().track(
      {
        attributes: [100, 101, 102].map((n) => ({
          push_token_import: true,
          push_tokens: [{ app_id: APP.ios, token: apnsToken(n) }],
        })),
      },
      { idempotent: true },
    );

    expect(result.rejected).toEqual([]);
    const held = await admin(
      emulator.current.url,
      "GET",
      `/tokens?app_id=${APP.ios}&token=${apnsToken(101)}`,
    );
    expect(held.body).toMatchObject({ held: true, temporary: true });
  });

  it("maps non-fatal error items back to the objects and rows they came from", async () => {
    const rows = [
      { line: 2, token: apnsToken(200) },
      { line: 3, token: apnsToken(201) },
      { line: 4, token: apnsToken(202) },
    ];
    const attributes = [
      { external_id: "nf-1", push_tokens: [{ app_id: APP.ios, token: rows[0].token }] },
      { external_id: "nf-2", push_tokens: [{ app_id: "not-an-app", token: rows[1].token }] },
      { external_id: "nf-3", push_tokens: [{ app_id: APP.web, token: rows[2].token }] },
    ];

    const result = await client().track(
      { attributes },
      { idempotent: false, rows: { attributes: rows } },
    );

    expect(result.processed).toEqual({ attributes: 1 });
    expect(result.rejected).toEqual([
      {
        type: "BAD_PUSH_TOKEN_APP_ID",
        inputArray: "attributes",
        index: 1,
        object: attributes[1],
        row: rows[1],
      },
      {
        type: "BAD_PUSH_TOKEN_APP_ID",
        inputArray: "attributes",
        index: 2,
        object: attributes[2],
        row: rows[2],
      },
    ]);
  });

  it("refuses rows that do not line up with the objects", async () => {
    await expect(
      client().track(
        { attributes: [{ external_id: "x" }] },
        { idempotent: false, rows: { attributes: [] } },
      ),
    ).rejects.toThrow("rows.attributes has 0 rows for 1 objects in attributes");
  });

  it("maps a fatal 400 to BRAZE_BAD_REQUEST with Braze's message and the rejected objects", async () => {
    const tooMany = Array.from({ length: 76 }, (_, i) => ({ external_id: `many-${i}` }));
    const err = await rejectionOf(client().track({ attributes: tooMany }, { idempotent: false }));
    expect(err.code).toBe("BRAZE_BAD_REQUEST");
    expect(err.status).toBe(400);
    expect(err.brazeMessage).toBe("Max Input Length Exceeded");
    expect(err.message).toBe(
      'Braze refused POST /users/track with 400 "Max Input Length Exceeded"',
    );

    const invalid = [
      {
        push_token_import: true,
        external_id: "no",
        push_tokens: [{ app_id: APP.ios, token: apnsToken(300) }],
      },
    ];
    const allBad = await rejectionOf(
      client().track(
        { attributes: invalid },
        { idempotent: true, rows: { attributes: ["row-a"] } },
      ),
    );
    expect(allBad.code).toBe("BRAZE_BAD_REQUEST");
    expect(allBad.brazeMessage).toBe(
      "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.",
    );
    expect(allBad.rejected).toEqual([
      {
        type: "BAD_PUSH_TOKEN_IMPORT",
        inputArray: "attributes",
        index: 0,
        object: invalid[0],
        row: "row-a",
      },
    ]);
  });

  it("maps 401 to BRAZE_AUTH with the fix", async () => {
    const wrong = clientFor(emulator.current.url, { apiKey: "no-such-key-1234" });
    const err = await rejectionOf(wrong.track({ attributes: [] }, { idempotent: true }));
    expect(err.code).toBe("BRAZE_AUTH");
    expect(err.status).toBe(401);
    expect(err.attempts).toBe(1);
    expect(err.message).toContain("Braze refused the API key (401 Invalid API Key)");
    expect(err.message).toContain("BRAZE_REST_ENDPOINT names the workspace's instance");
  });

  it("maps 403 to BRAZE_PERMISSION naming the permission the endpoint needs", async () => {
    const trackOnly = clientFor(emulator.current.url, { apiKey: TRACK_ONLY_KEY });
    const err = await rejectionOf(
      trackOnly.exportIds({ externalIds: ["ep-1"], fieldsToExport: ["external_id"] }),
    );
    expect(err.code).toBe("BRAZE_PERMISSION");
    expect(err.permission).toBe("users.export.ids");
    expect(err.message).toMatch(
      /^the API key lacks the users.export.ids permission that POST \/users\/export\/ids needs \(403 Access Denied\)/,
    );

    const exportOnly = clientFor(emulator.current.url, { apiKey: EXPORT_ONLY_KEY });
    const denied = await rejectionOf(exportOnly.deleteUsers({ externalIds: ["ep-1"] }));
    expect(denied.permission).toBe("users.delete");
  });

  it("deletes users with /users/delete", async () => {
    await client().track(
      { attributes: [{ external_id: "del-1" }, { external_id: "del-2" }] },
      { idempotent: false },
    );
    expect(await client().deleteUsers({ externalIds: ["del-1", "del-2", "del-none"] })).toEqual({
      deleted: 2,
    });
    const after = await client().exportIds({
      externalIds: ["del-1"],
      fieldsToExport: ["external_id"],
    });
    expect(after.users).toEqual([]);
  });

  it("sends a push with /messages/send and returns the dispatch id", async () => {
    const sent = await client().sendMessage({
      external_user_ids: ["ep-2"],
      messages: { android_push: { alert: "hello", extra: { old_provider_key: "v" } } },
    });
    expect(sent.dispatchId).toEqual(expect.any(String));
    const outbox = await admin(
      emulator.current.url,
      "GET",
      `/outbox?dispatch_id=${sent.dispatchId}`,
    );
    expect(outbox.body.messages).toHaveLength(1);
  });

  it("sends every request through the injected transport", async () => {
    const seen: string[] = [];
    const base = new UndiciTransport();
    const recording = new BrazeClient({
      endpoint: emulator.current.url,
      apiKey: FULL_KEY,
      transport: {
        request: (req) => {
          seen.push(`${req.method} ${new URL(req.url).pathname}`);
          return base.request(req);
        },
        close: () => base.close(),
      },
    });

    await recording.exportIds({ externalIds: ["ep-1"], fieldsToExport: ["external_id"] });
    await recording.deleteUsers({ externalIds: ["nobody"] });
    await recording.close();
    await base.close();

    expect(seen).toEqual(["POST /users/export/ids", "POST /users/delete"]);
  });
});
