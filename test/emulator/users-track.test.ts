import { APP, admin, apnsToken, fcmToken, post, useEmulator, type Answer } from "../helpers";

const NOTHING_VALID =
  "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";
const IDENTIFIER_REQUIRED =
  "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required";
const ONE_IDENTIFIER = "only one of 'external_id', 'braze_id' or 'user_alias' may be given";
const BRAZE_ID = /^[0-9a-f]{24}$/;
// a device_id the emulator generates must itself pass Braze's 8-255 byte rule
const GENERATED_DEVICE_ID = /^.{8,255}$/;

describe("POST /users/track", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
  });

  describe("identified imports", () => {
    it("sets the token on a new profile named by external_id", async () => {
      const res = await track(url(), {
        attributes: [
          { external_id: "ada", push_tokens: [{ app_id: APP.ios, token: apnsToken(1) }] },
        ],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", attributes_processed: 1 });
      expect(await holder(url(), APP.ios, apnsToken(1))).toEqual({
        held: true,
        braze_id: expect.stringMatching(BRAZE_ID),
        external_id: "ada",
        temporary: false,
        device_id: expect.stringMatching(GENERATED_DEVICE_ID),
      });
      expect(await stats(url())).toMatchObject({ users: 1, temporaryUsers: 0, tokens: 1 });
    });

    it("keeps email, country, language and custom attributes riding along (seed example)", async () => {
      const res = await track(url(), {
        attributes: [
          {
            push_token_import: false,
            external_id: "example_external_id",
            email: "braze.test1@testbraze.com",
            country: "US",
            language: "en",
            favourite_colour: "teal",
            push_tokens: [{ app_id: APP.android, token: fcmToken(1) }],
          },
        ],
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", attributes_processed: 1 });

      const [user] = await exportUsers(
        url(),
        ["example_external_id"],
        ["external_id", "email", "country", "language", "custom_attributes", "push_tokens"],
      );
      expect(user).toEqual({
        external_id: "example_external_id",
        email: "braze.test1@testbraze.com",
        country: "US",
        language: "en",
        custom_attributes: { favourite_colour: "teal" },
        push_tokens: [
          {
            app: "Emulated Android",
            platform: "Android",
            token: fcmToken(1),
            device_id: expect.stringMatching(GENERATED_DEVICE_ID),
            notifications_enabled: true,
          },
        ],
      });
    });

    it("keeps a device_id given with the token", async () => {
      await track(url(), {
        attributes: [
          {
            external_id: "ada",
            push_tokens: [{ app_id: APP.ios, token: apnsToken(1), device_id: "ios-device-0001" }],
          },
        ],
      });

      expect(await holder(url(), APP.ios, apnsToken(1))).toMatchObject({
        external_id: "ada",
        device_id: "ios-device-0001",
      });
    });

    it("creates nothing for an unknown external_id with _update_existing_only true", async () => {
      const res = await track(url(), {
        attributes: [
          {
            external_id: "nobody",
            _update_existing_only: true,
            push_tokens: [{ app_id: APP.ios, token: apnsToken(2) }],
          },
        ],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", attributes_processed: 1 });
      expect(await stats(url())).toMatchObject({ users: 0, tokens: 0 });
      expect(await holder(url(), APP.ios, apnsToken(2))).toEqual({ held: false });
    });

    it("updates a known external_id with _update_existing_only true", async () => {
      await track(url(), { attributes: [{ external_id: "ada", country: "GB" }] });

      await track(url(), {
        attributes: [
          {
            external_id: "ada",
            _update_existing_only: true,
            country: "FR",
            push_tokens: [{ app_id: APP.ios, token: apnsToken(3) }],
          },
        ],
      });

      const [user] = await exportUsers(url(), ["ada"], ["country", "push_tokens"]);
      expect(user.country).toBe("FR");
      expect(user.push_tokens.map((t: { token: string }) => t.token)).toEqual([apnsToken(3)]);
      expect(await stats(url())).toMatchObject({ users: 1, tokens: 1 });
    });

    it("sets a token on the profile a braze_id names, and creates none for an unknown one", async () => {
      await track(url(), { attributes: [{ external_id: "ada" }] });
      const [ada] = await exportUsers(url(), ["ada"], ["braze_id"]);

      const res = await track(url(), {
        attributes: [
          { braze_id: ada.braze_id, push_tokens: [{ app_id: APP.ios, token: apnsToken(6) }] },
          {
            braze_id: "ffffffffffffffffffffffff",
            push_tokens: [{ app_id: APP.ios, token: apnsToken(7) }],
          },
        ],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", attributes_processed: 2 });
      expect(await holder(url(), APP.ios, apnsToken(6))).toMatchObject({
        braze_id: ada.braze_id,
        external_id: "ada",
      });
      expect(await holder(url(), APP.ios, apnsToken(7))).toEqual({ held: false });
      expect(await stats(url())).toMatchObject({ users: 1, tokens: 1 });
    });

    it("identifies by email when no primary identifier is given", async () => {
      await track(url(), { attributes: [{ external_id: "ada", email: "ada@example.com" }] });

      await track(url(), { attributes: [{ email: "ada@example.com", country: "NZ" }] });

      const [user] = await exportUsers(url(), ["ada"], ["external_id", "email", "country"]);
      expect(user).toEqual({ external_id: "ada", email: "ada@example.com", country: "NZ" });
      expect(await stats(url())).toMatchObject({ users: 1 });
    });

    it("creates nothing for an unknown user_alias by default", async () => {
      const res = await track(url(), {
        attributes: [
          {
            user_alias: { alias_name: "legacy-42", alias_label: "old_provider" },
            push_tokens: [{ app_id: APP.ios, token: apnsToken(4) }],
          },
        ],
      });

      expect(res.status).toBe(201);
      expect(await stats(url())).toMatchObject({ users: 0, tokens: 0 });
      expect(await holder(url(), APP.ios, apnsToken(4))).toEqual({ held: false });
    });

    it("creates an alias profile with _update_existing_only false, then updates it by default", async () => {
      const alias = { alias_name: "legacy-42", alias_label: "old_provider" };
      await track(url(), {
        attributes: [
          {
            user_alias: alias,
            _update_existing_only: false,
            push_tokens: [{ app_id: APP.ios, token: apnsToken(5) }],
          },
        ],
      });
      expect(await holder(url(), APP.ios, apnsToken(5))).toMatchObject({
        held: true,
        external_id: null,
        temporary: false,
      });

      // the default (update existing only) now finds the profile
      await track(url(), { attributes: [{ user_alias: alias, tier: "gold" }] });

      const res = await post(url(), "/users/export/ids", {
        user_aliases: [alias],
        fields_to_export: ["external_id", "user_aliases", "custom_attributes", "push_tokens"],
      });
      expect(res.body.users).toEqual([
        {
          user_aliases: [alias],
          custom_attributes: { tier: "gold" },
          push_tokens: [expect.objectContaining({ token: apnsToken(5), app: "Emulated iOS" })],
        },
      ]);
      expect(await stats(url())).toMatchObject({ users: 1, tokens: 1 });
    });
  });

  describe("anonymous imports (push_token_import: true)", () => {
    it("creates one temporary profile per token (seed example)", async () => {
      const res = await track(url(), {
        attributes: [
          {
            push_token_import: true,
            email: "braze.test1@testbraze.com",
            country: "US",
            push_tokens: [{ app_id: APP.ios, token: apnsToken(10), device_id: "device-id-0010" }],
          },
          {
            push_token_import: true,
            push_tokens: [{ app_id: APP.android, token: fcmToken(11) }],
          },
        ],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", attributes_processed: 2 });
      expect(await stats(url())).toMatchObject({ users: 2, temporaryUsers: 2, tokens: 2 });
      expect(await holder(url(), APP.ios, apnsToken(10))).toEqual({
        held: true,
        braze_id: expect.stringMatching(BRAZE_ID),
        external_id: null,
        temporary: true,
        device_id: "device-id-0010",
      });
      expect(await holder(url(), APP.android, fcmToken(11))).toMatchObject({
        temporary: true,
        device_id: expect.stringMatching(GENERATED_DEVICE_ID),
      });

      const exported = await post(url(), "/users/export/ids", {
        device_id: "device-id-0010",
        fields_to_export: ["external_id", "email", "country", "push_tokens"],
      });
      expect(exported.body.users).toEqual([
        {
          email: "braze.test1@testbraze.com",
          country: "US",
          push_tokens: [
            {
              app: "Emulated iOS",
              platform: "iOS",
              token: apnsToken(10),
              device_id: "device-id-0010",
              notifications_enabled: true,
            },
          ],
        },
      ]);
    });

    it("creates a separate temporary profile for each token of one object", async () => {
      await track(url(), {
        attributes: [
          {
            push_token_import: true,
            push_tokens: [
              { app_id: APP.ios, token: apnsToken(12) },
              { app_id: APP.android, token: fcmToken(12) },
            ],
          },
        ],
      });

      expect(await stats(url())).toMatchObject({ users: 2, temporaryUsers: 2, tokens: 2 });
      const ios = await holder(url(), APP.ios, apnsToken(12));
      const android = await holder(url(), APP.android, fcmToken(12));
      expect(ios.braze_id).not.toBe(android.braze_id);
    });

    it("ignores a token an identified profile already holds", async () => {
      await track(url(), {
        attributes: [
          { external_id: "ada", push_tokens: [{ app_id: APP.ios, token: apnsToken(13) }] },
        ],
      });

      const res = await track(url(), {
        attributes: [
          {
            push_token_import: true,
            country: "DE",
            push_tokens: [{ app_id: APP.ios, token: apnsToken(13) }],
          },
        ],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", attributes_processed: 1 });
      expect(await stats(url())).toMatchObject({ users: 1, temporaryUsers: 0, tokens: 1 });
      expect(await holder(url(), APP.ios, apnsToken(13))).toMatchObject({
        external_id: "ada",
        temporary: false,
      });
    });

    it("ignores a token imported before, keeping its first temporary profile", async () => {
      const body = {
        attributes: [
          { push_token_import: true, push_tokens: [{ app_id: APP.ios, token: apnsToken(14) }] },
        ],
      };
      await track(url(), body);
      const first = await holder(url(), APP.ios, apnsToken(14));

      await track(url(), body);

      expect(await holder(url(), APP.ios, apnsToken(14))).toEqual(first);
      expect(await stats(url())).toMatchObject({ users: 1, temporaryUsers: 1, tokens: 1 });
    });
  });

  describe("anonymous imports within one request", () => {
    it("creates one temporary profile for a token repeated in one request", async () => {
      const token = { app_id: APP.ios, token: apnsToken(15) };
      const res = await track(url(), {
        attributes: [
          { push_token_import: true, push_tokens: [token, token] },
          { push_token_import: true, push_tokens: [token] },
        ],
      });

      expect(res.body).toEqual({ message: "success", attributes_processed: 2 });
      expect(await stats(url())).toMatchObject({ users: 1, temporaryUsers: 1, tokens: 1 });
    });

    it("lets an identified object take a token imported earlier in the same request", async () => {
      await track(url(), {
        attributes: [
          { push_token_import: true, push_tokens: [{ app_id: APP.ios, token: apnsToken(16) }] },
          { external_id: "ada", push_tokens: [{ app_id: APP.ios, token: apnsToken(16) }] },
          { push_token_import: true, push_tokens: [{ app_id: APP.ios, token: apnsToken(16) }] },
        ],
      });

      expect(await holder(url(), APP.ios, apnsToken(16))).toMatchObject({
        external_id: "ada",
        temporary: false,
      });
      expect(await stats(url())).toMatchObject({ users: 2, temporaryUsers: 1, tokens: 1 });
    });
  });

  describe("one holder per token", () => {
    it("moves a token to the external_id that sets it last", async () => {
      const token = { app_id: APP.ios, token: apnsToken(20), device_id: "device-id-0020" };
      await track(url(), { attributes: [{ external_id: "first", push_tokens: [token] }] });

      await track(url(), {
        attributes: [
          { external_id: "second", push_tokens: [{ app_id: APP.ios, token: apnsToken(20) }] },
        ],
      });

      expect(await holder(url(), APP.ios, apnsToken(20))).toMatchObject({
        external_id: "second",
        device_id: "device-id-0020",
      });
      const users = await exportUsers(url(), ["first", "second"], ["external_id", "push_tokens"]);
      expect(users.map((u) => [u.external_id, u.push_tokens.length])).toEqual([
        ["first", 0],
        ["second", 1],
      ]);
      expect(await stats(url())).toMatchObject({ users: 2, tokens: 1 });
    });

    it("moves an imported token off its temporary profile, which stays until cleanup", async () => {
      await track(url(), {
        attributes: [
          { push_token_import: true, push_tokens: [{ app_id: APP.android, token: fcmToken(21) }] },
        ],
      });

      await track(url(), {
        attributes: [
          { external_id: "ada", push_tokens: [{ app_id: APP.android, token: fcmToken(21) }] },
        ],
      });

      expect(await holder(url(), APP.android, fcmToken(21))).toMatchObject({
        external_id: "ada",
        temporary: false,
      });
      expect(await stats(url())).toMatchObject({ users: 2, temporaryUsers: 1, tokens: 1 });
    });
  });

  describe("non-fatal errors", () => {
    // each case sits between two valid objects, so its index is 1 and both others apply
    const cases: [string, Record<string, unknown>, string][] = [
      [
        "refuses an app_id the workspace does not have with BAD_PUSH_TOKEN_APP_ID",
        { external_id: "bad", push_tokens: [{ app_id: "no-such-app", token: apnsToken(30) }] },
        "BAD_PUSH_TOKEN_APP_ID",
      ],
      [
        "refuses a token for the web app with BAD_PUSH_TOKEN_APP_ID",
        { external_id: "bad", push_tokens: [{ app_id: APP.web, token: fcmToken(30) }] },
        "BAD_PUSH_TOKEN_APP_ID",
      ],
      [
        "refuses an import carrying an external_id with BAD_PUSH_TOKEN_IMPORT",
        {
          push_token_import: true,
          external_id: "bad",
          push_tokens: [{ app_id: APP.ios, token: apnsToken(30) }],
        },
        "BAD_PUSH_TOKEN_IMPORT",
      ],
      [
        "refuses an import carrying a braze_id with BAD_PUSH_TOKEN_IMPORT",
        {
          push_token_import: true,
          braze_id: "0123456789abcdef01234567",
          push_tokens: [{ app_id: APP.ios, token: apnsToken(30) }],
        },
        "BAD_PUSH_TOKEN_IMPORT",
      ],
      [
        "refuses an import without push_tokens with BAD_PUSH_TOKEN_IMPORT",
        { push_token_import: true, email: "a@example.com" },
        "BAD_PUSH_TOKEN_IMPORT",
      ],
      [
        "refuses an import with an empty push_tokens with BAD_PUSH_TOKEN_IMPORT",
        { push_token_import: true, push_tokens: [] },
        "BAD_PUSH_TOKEN_IMPORT",
      ],
      [
        "refuses a token that is not a string with BAD_PUSH_TOKEN_STRING",
        { external_id: "bad", push_tokens: [{ app_id: APP.ios, token: 1234 }] },
        "BAD_PUSH_TOKEN_STRING",
      ],
      [
        "refuses push_tokens that is not an array with BAD_PUSH_TOKEN_VALUE",
        { external_id: "bad", push_tokens: { app_id: APP.ios, token: apnsToken(30) } },
        "BAD_PUSH_TOKEN_VALUE",
      ],
      [
        "refuses push_tokens items that are not objects with BAD_PUSH_TOKEN_VALUE",
        { external_id: "bad", push_tokens: [apnsToken(30)] },
        "BAD_PUSH_TOKEN_VALUE",
      ],
      [
        "refuses a device_id of 7 bytes with BAD_DEVICE_ID",
        {
          external_id: "bad",
          push_tokens: [{ app_id: APP.ios, token: apnsToken(30), device_id: "1234567" }],
        },
        "BAD_DEVICE_ID",
      ],
      [
        "refuses a device_id of 4 characters but 7 bytes with BAD_DEVICE_ID",
        {
          external_id: "bad",
          push_tokens: [{ app_id: APP.ios, token: apnsToken(30), device_id: "éééa" }],
        },
        "BAD_DEVICE_ID",
      ],
      [
        "refuses a device_id of 256 bytes with BAD_DEVICE_ID",
        {
          external_id: "bad",
          push_tokens: [{ app_id: APP.ios, token: apnsToken(30), device_id: "é".repeat(128) }],
        },
        "BAD_DEVICE_ID",
      ],
      [
        "refuses an external_id of 988 bytes with EXTERNAL_USER_ID_TOO_LARGE",
        { external_id: "x".repeat(988) },
        "EXTERNAL_USER_ID_TOO_LARGE",
      ],
      [
        "refuses an external_id of 494 characters but 988 bytes with EXTERNAL_USER_ID_TOO_LARGE",
        { external_id: "é".repeat(494) },
        "EXTERNAL_USER_ID_TOO_LARGE",
      ],
      [
        "refuses a malformed email with EMAIL_BAD_FORMAT",
        { external_id: "bad", email: "not-an-email" },
        "EMAIL_BAD_FORMAT",
      ],
      [
        "refuses an unknown push_subscribe state with BAD_PUSH_SUBSCRIPTION_STATE",
        { external_id: "bad", push_subscribe: "maybe" },
        "BAD_PUSH_SUBSCRIPTION_STATE",
      ],
      [
        "refuses an object without an identifier",
        { country: "US", push_tokens: [{ app_id: APP.ios, token: apnsToken(30) }] },
        IDENTIFIER_REQUIRED,
      ],
      [
        "refuses an object with an external_id and a user_alias",
        { external_id: "bad", user_alias: { alias_name: "n", alias_label: "l" } },
        ONE_IDENTIFIER,
      ],
      [
        "refuses an object with an external_id and a braze_id",
        { external_id: "bad", braze_id: "0123456789abcdef01234567" },
        ONE_IDENTIFIER,
      ],
    ];

    it.each(cases)("%s", async (_name, invalid, type) => {
      const res = await track(url(), {
        attributes: [
          { external_id: "ok-0", country: "US" },
          invalid,
          { external_id: "ok-2", country: "US" },
        ],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        message: "success",
        attributes_processed: 2,
        errors: [{ type, input_array: "attributes", index: 1 }],
      });
      expect(await stats(url())).toMatchObject({ users: 2, temporaryUsers: 0, tokens: 0 });
    });

    it("accepts device_ids of 8 and 255 bytes and an external_id of 987 bytes", async () => {
      const externalId = "é".repeat(493) + "a";
      const res = await track(url(), {
        attributes: [
          {
            external_id: externalId,
            push_tokens: [
              { app_id: APP.ios, token: apnsToken(31), device_id: "éééab" },
              { app_id: APP.android, token: fcmToken(31), device_id: "d".repeat(255) },
            ],
          },
        ],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", attributes_processed: 1 });
      expect(await holder(url(), APP.ios, apnsToken(31))).toMatchObject({
        external_id: externalId,
        device_id: "éééab",
      });
      expect(await holder(url(), APP.android, fcmToken(31))).toMatchObject({
        device_id: "d".repeat(255),
      });
    });

    it("reports errors of events and purchases under their own input_array", async () => {
      const res = await track(url(), {
        attributes: [{ external_id: "ada" }, { external_id: "ada", email: "nope" }],
        events: [
          { external_id: "ada", name: "opened", time: "2024-01-01T00:00:00Z" },
          { name: "no-identifier", time: "2024-01-01T00:00:00Z" },
          { external_id: "ada", time: "2024-01-01T00:00:00Z" },
        ],
        purchases: [{ external_id: "ada", price: 1, currency: "USD" }],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        message: "success",
        attributes_processed: 1,
        events_processed: 1,
        purchases_processed: 0,
        errors: [
          { type: "EMAIL_BAD_FORMAT", input_array: "attributes", index: 1 },
          { type: IDENTIFIER_REQUIRED, input_array: "events", index: 1 },
          { type: "'name' is required and must be a string", input_array: "events", index: 2 },
          {
            type: "'product_id' is required and must be a string",
            input_array: "purchases",
            index: 0,
          },
        ],
      });
      expect(await stats(url())).toMatchObject({ users: 1, events: 1, purchases: 0 });
    });
  });

  describe("fatal errors", () => {
    it("answers 400 with every error when no object is valid, applying nothing", async () => {
      const res = await track(url(), {
        attributes: [
          { external_id: "bad", email: "nope" },
          { push_token_import: true, push_tokens: [{ app_id: APP.web, token: fcmToken(40) }] },
        ],
        events: [{ external_id: "bad" }],
      });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        message: NOTHING_VALID,
        errors: [
          { type: "EMAIL_BAD_FORMAT", input_array: "attributes", index: 0 },
          { type: "BAD_PUSH_TOKEN_APP_ID", input_array: "attributes", index: 1 },
          { type: "'name' is required and must be a string", input_array: "events", index: 0 },
        ],
      });
      expect(await stats(url())).toMatchObject({ users: 0, tokens: 0, events: 0 });
    });

    it("refuses 76 attributes with Max Input Length Exceeded, applying nothing", async () => {
      const res = await track(url(), { attributes: identified(76) });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: "Max Input Length Exceeded" });
      expect(await stats(url())).toMatchObject({ users: 0, tokens: 0 });
    });

    it("accepts 75 attributes", async () => {
      const res = await track(url(), { attributes: identified(75) });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", attributes_processed: 75 });
      expect(await stats(url())).toMatchObject({ users: 75, tokens: 75 });
    });

    it("counts attributes, events and purchases together by default (76 in all)", async () => {
      const res = await track(url(), {
        attributes: identified(25),
        events: events(26),
        purchases: purchases(25),
      });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: "Max Input Length Exceeded" });
      expect(await stats(url())).toMatchObject({ users: 0, events: 0, purchases: 0 });
    });

    it("answers 400 Bad Request for a body that is not JSON", async () => {
      const res = await track(url(), '{"attributes": [');

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: "Bad Request", errors: ["the body is not valid JSON"] });
    });

    it("answers 400 Bad Request when attributes is not an array", async () => {
      const res = await track(url(), { attributes: { external_id: "ada" } });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        message: "Bad Request",
        errors: ["'attributes' must be an array"],
      });
      expect(await stats(url())).toMatchObject({ users: 0 });
    });
  });

  describe("events, purchases and attributes", () => {
    it("counts valid events and purchases in the stats across requests", async () => {
      const first = await track(url(), { events: events(2), purchases: purchases(3) });
      const second = await track(url(), { events: events(1) });

      expect(first.status).toBe(201);
      expect(first.body).toEqual({
        message: "success",
        events_processed: 2,
        purchases_processed: 3,
      });
      expect(second.body).toEqual({ message: "success", events_processed: 1 });
      expect(await stats(url())).toMatchObject({ events: 3, purchases: 3 });
    });

    it("merges attributes over stored ones and removes one set to null", async () => {
      await track(url(), {
        attributes: [{ external_id: "ada", first_name: "Ada", tier: "gold", visits: 3 }],
      });

      await track(url(), {
        attributes: [{ external_id: "ada", tier: null, visits: 4, language: "en" }],
      });

      const [user] = await exportUsers(
        url(),
        ["ada"],
        ["external_id", "first_name", "language", "custom_attributes"],
      );
      expect(user).toEqual({
        external_id: "ada",
        first_name: "Ada",
        language: "en",
        custom_attributes: { visits: 4 },
      });
    });

    it("stores nothing for an attribute set to null on a new profile", async () => {
      await track(url(), { attributes: [{ external_id: "ada", tier: null, visits: 1 }] });
      await track(url(), {
        attributes: [
          {
            push_token_import: true,
            tier: null,
            push_tokens: [{ app_id: APP.ios, token: apnsToken(50), device_id: "device-id-0050" }],
          },
        ],
      });

      const [identifiedUser] = await exportUsers(url(), ["ada"], ["custom_attributes"]);
      expect(identifiedUser).toEqual({ custom_attributes: { visits: 1 } });
      const anonymous = await post(url(), "/users/export/ids", {
        device_id: "device-id-0050",
        fields_to_export: ["custom_attributes"],
      });
      expect(anonymous.body.users).toEqual([{}]);
    });
  });
});

describe("POST /users/track with per-array object limits", () => {
  const emulator = useEmulator({ config: { limits: { trackObjectsMode: "per-array" } } });
  const url = () => emulator.current.url;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
  });

  it("accepts 75 attributes, 75 events and 75 purchases in one request", async () => {
    const res = await track(url(), {
      attributes: identified(75),
      events: events(75),
      purchases: purchases(75),
    });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      message: "success",
      attributes_processed: 75,
      events_processed: 75,
      purchases_processed: 75,
    });
    expect(await stats(url())).toMatchObject({ users: 75, events: 75, purchases: 75 });
  });

  it("refuses 76 events beside one attribute, applying nothing", async () => {
    const res = await track(url(), { attributes: identified(1), events: events(76) });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: "Max Input Length Exceeded" });
    expect(await stats(url())).toMatchObject({ users: 0, events: 0 });
  });
});

describe("POST /users/track with a small object limit and body size", () => {
  const emulator = useEmulator({
    config: { limits: { trackObjectsPerRequest: 3, maxBodyBytes: 2048 } },
  });
  const url = () => emulator.current.url;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
  });

  it("applies trackObjectsPerRequest to the three arrays together", async () => {
    const over = await track(url(), { attributes: identified(2), events: events(2) });
    const within = await track(url(), { attributes: identified(2), events: events(1) });

    expect(over.status).toBe(400);
    expect(over.body).toEqual({ message: "Max Input Length Exceeded" });
    expect(within.status).toBe(201);
    expect(within.body).toEqual({
      message: "success",
      attributes_processed: 2,
      events_processed: 1,
    });
    expect(await stats(url())).toMatchObject({ users: 2, events: 1 });
  });

  it("accepts a body of exactly maxBodyBytes", async () => {
    const res = await track(url(), bodyOfBytes("fits", 2048));

    expect(res.status).toBe(201);
    expect(await stats(url())).toMatchObject({ users: 1 });
  });

  it("answers 413 for a body over maxBodyBytes, applying nothing", async () => {
    const res = await track(url(), bodyOfBytes("too-big", 2049));

    expect(res.status).toBe(413);
    expect(res.body).toEqual({ message: "Request Entity Too Large" });
    expect(await stats(url())).toMatchObject({ users: 0 });
  });
});

// --- helpers -----------------------------------------------------------------------------

function track(url: string, body: unknown): Promise<Answer> {
  return post(url, "/users/track", body);
}

async function stats(url: string): Promise<Record<string, number>> {
  return (await admin(url, "GET", "/stats")).body;
}

async function holder(url: string, appId: string, token: string): Promise<any> {
  const query = new URLSearchParams({ app_id: appId, token });
  return (await admin(url, "GET", `/tokens?${query}`)).body;
}

async function exportUsers(url: string, externalIds: string[], fields: string[]): Promise<any[]> {
  const res = await post(url, "/users/export/ids", {
    external_ids: externalIds,
    fields_to_export: fields,
  });
  expect(res.status).toBe(201);
  return res.body.users;
}

/** `n` identified imports, one iOS token each. */
function identified(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    external_id: `user-${i}`,
    push_tokens: [{ app_id: APP.ios, token: apnsToken(1000 + i) }],
  }));
}

function events(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    external_id: `user-${i}`,
    name: "migrated",
    time: "2024-01-01T00:00:00Z",
  }));
}

function purchases(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    external_id: `user-${i}`,
    product_id: "plan",
    currency: "USD",
    price: 1,
    time: "2024-01-01T00:00:00Z",
  }));
}

/** A JSON body of exactly `bytes` bytes that creates the profile `externalId`. */
function bodyOfBytes(externalId: string, bytes: number): string {
  const empty = JSON.stringify({ attributes: [{ external_id: externalId, pad: "" }] });
  const body = JSON.stringify({
    attributes: [{ external_id: externalId, pad: "x".repeat(bytes - empty.length) }],
  });
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}
