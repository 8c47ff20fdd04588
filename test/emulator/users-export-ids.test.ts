import { APP, admin, apnsToken, fcmToken, post, useEmulator, type Answer } from "../helpers";

const TOO_MANY_IDS = "The max number of external_ids and aliases per request was exceeded";
const FIELDS_REQUIRED =
  '\'fields_to_export\' is required: name the fields to export, e.g. ["external_id","push_tokens"]';
const ALIAS = { alias_name: "legacy-7", alias_label: "old_provider" };
const BRAZE_ID = /^[0-9a-f]{24}$/;

const ADA_TOKENS = [
  {
    app: "Emulated iOS",
    platform: "iOS",
    token: apnsToken(1),
    device_id: "ada-iphone-01",
    notifications_enabled: true,
  },
  {
    app: "Emulated Android",
    platform: "Android",
    token: fcmToken(1),
    device_id: "ada-pixel-001",
    notifications_enabled: true,
  },
];

describe("POST /users/export/ids", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
    await seed(url(), APP.ios, APP.android);
  });

  describe("finding profiles", () => {
    it("exports profiles by external_ids, in request order", async () => {
      const res = await exportIds(url(), {
        external_ids: ["bob", "ada"],
        fields_to_export: ["external_id"],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        message: "success",
        users: [{ external_id: "bob" }, { external_id: "ada" }],
      });
    });

    it("lists unknown external_ids in invalid_user_ids", async () => {
      const res = await exportIds(url(), {
        external_ids: ["ghost-1", "ada", "ghost-2"],
        fields_to_export: ["external_id"],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        message: "success",
        users: [{ external_id: "ada" }],
        invalid_user_ids: ["ghost-1", "ghost-2"],
      });
    });

    it("answers an empty users list when no external_id is known", async () => {
      const res = await exportIds(url(), {
        external_ids: ["ghost-1"],
        fields_to_export: ["external_id"],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", users: [], invalid_user_ids: ["ghost-1"] });
    });

    it("exports an alias-only profile by user_aliases", async () => {
      const res = await exportIds(url(), {
        user_aliases: [ALIAS],
        fields_to_export: ["external_id", "user_aliases", "push_tokens"],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        message: "success",
        users: [
          {
            user_aliases: [ALIAS],
            push_tokens: [
              {
                app: "Emulated iOS",
                platform: "iOS",
                token: apnsToken(2),
                device_id: "alias-iphone-1",
                notifications_enabled: true,
              },
            ],
          },
        ],
      });
    });

    it("exports external_ids and user_aliases of one request together", async () => {
      const res = await exportIds(url(), {
        external_ids: ["ada"],
        user_aliases: [ALIAS, { alias_name: "unknown", alias_label: "old_provider" }],
        fields_to_export: ["external_id", "user_aliases"],
      });

      expect(res.status).toBe(201);
      expect(res.body.users).toEqual([{ external_id: "ada" }, { user_aliases: [ALIAS] }]);
    });

    it("exports the profile holding a token with the device_id", async () => {
      const res = await exportIds(url(), {
        device_id: "ada-pixel-001",
        fields_to_export: ["external_id"],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", users: [{ external_id: "ada" }] });
    });

    it("exports a profile by braze_id", async () => {
      const [ada] = (
        await exportIds(url(), { external_ids: ["ada"], fields_to_export: ["braze_id"] })
      ).body.users;
      expect(ada.braze_id).toMatch(BRAZE_ID);

      const res = await exportIds(url(), {
        braze_id: ada.braze_id,
        fields_to_export: ["external_id", "braze_id"],
      });

      expect(res.status).toBe(201);
      expect(res.body.users).toEqual([{ external_id: "ada", braze_id: ada.braze_id }]);
    });

    it("answers an empty users list for a braze_id the workspace does not have", async () => {
      const res = await exportIds(url(), {
        braze_id: "ffffffffffffffffffffffff",
        fields_to_export: ["external_id"],
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: "success", users: [] });
    });

    it("exports a profile by email_address", async () => {
      const res = await exportIds(url(), {
        email_address: "ada@example.com",
        fields_to_export: ["external_id", "email"],
      });

      expect(res.status).toBe(201);
      expect(res.body.users).toEqual([{ external_id: "ada", email: "ada@example.com" }]);
    });

    it("exports a profile by phone", async () => {
      const res = await exportIds(url(), {
        phone: "+15550001111",
        fields_to_export: ["external_id", "phone"],
      });

      expect(res.status).toBe(201);
      expect(res.body.users).toEqual([{ external_id: "ada", phone: "+15550001111" }]);
    });

    it("answers 400 when no identifier is given", async () => {
      const res = await exportIds(url(), { fields_to_export: ["external_id"] });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        message:
          "one of 'external_ids', 'user_aliases', 'device_id', 'braze_id', 'email_address' or " +
          "'phone' is required",
      });
    });

    it("answers 400 when two single identifiers are given together", async () => {
      const res = await exportIds(url(), {
        device_id: "device-0001",
        email_address: "ada@example.com",
        fields_to_export: ["external_id"],
      });

      expect(res.status).toBe(400);
      expect(res.body.message).toBe(
        "only one of 'device_id', 'braze_id', 'email_address' or 'phone' may be given, got " +
          "'device_id' and 'email_address'",
      );
    });
  });

  describe("push tokens", () => {
    it("exports each token with the app NAME, the platform, the device_id and opt-in", async () => {
      const res = await exportIds(url(), {
        external_ids: ["ada", "bob"],
        fields_to_export: ["external_id", "push_tokens"],
      });

      expect(res.body.users).toEqual([
        { external_id: "ada", push_tokens: ADA_TOKENS },
        { external_id: "bob", push_tokens: [] },
      ]);
    });
  });

  describe("fields_to_export", () => {
    it("exports only the fields named", async () => {
      const res = await exportIds(url(), {
        external_ids: ["ada"],
        fields_to_export: ["email", "first_name", "custom_attributes"],
      });

      expect(res.body.users).toEqual([
        { email: "ada@example.com", first_name: "Ada", custom_attributes: { tier: "gold" } },
      ]);
    });

    it("accepts Braze fields the emulator does not keep and leaves them out", async () => {
      const res = await exportIds(url(), {
        external_ids: ["ada"],
        fields_to_export: ["external_id", "purchases", "custom_events", "last_coordinates"],
      });

      expect(res.status).toBe(201);
      expect(res.body.users).toEqual([{ external_id: "ada" }]);
    });

    it("answers 400 when fields_to_export is missing", async () => {
      const res = await exportIds(url(), { external_ids: ["ada"] });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: FIELDS_REQUIRED });
    });

    it("answers 400 when fields_to_export is not a list of names", async () => {
      const res = await exportIds(url(), { external_ids: ["ada"], fields_to_export: "email" });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: "'fields_to_export' must be an array of field names" });
    });
  });

  describe("ids per request", () => {
    it("refuses more than 50 external_ids and aliases combined", async () => {
      const res = await exportIds(url(), {
        external_ids: ids(50),
        user_aliases: [ALIAS],
        fields_to_export: ["external_id"],
      });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: TOO_MANY_IDS });
    });

    it("refuses 51 external_ids", async () => {
      const res = await exportIds(url(), { external_ids: ids(51), fields_to_export: ["email"] });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: TOO_MANY_IDS });
    });

    it("accepts 49 external_ids and one alias", async () => {
      const res = await exportIds(url(), {
        external_ids: ["ada", ...ids(48)],
        user_aliases: [ALIAS],
        fields_to_export: ["external_id", "user_aliases"],
      });

      expect(res.status).toBe(201);
      expect(res.body.users).toEqual([{ external_id: "ada" }, { user_aliases: [ALIAS] }]);
      expect(res.body.invalid_user_ids).toEqual(ids(48));
    });
  });

  describe("rate-limit group", () => {
    it("counts a request with fields_to_export against the 40 per second limit", async () => {
      const res = await exportIds(url(), {
        external_ids: ["ada"],
        fields_to_export: ["external_id"],
      });

      expect(res.headers["x-ratelimit-limit"]).toBe("40");
    });

    it("counts a request without fields_to_export against the 250 per minute limit", async () => {
      const res = await exportIds(url(), { external_ids: ["ada"] });

      expect(res.status).toBe(400);
      expect(res.headers["x-ratelimit-limit"]).toBe("250");
    });

    it("keeps a request naming canvases_received on the 250 per minute limit", async () => {
      const res = await exportIds(url(), {
        external_ids: ["ada"],
        fields_to_export: ["external_id", "canvases_received"],
      });

      expect(res.status).toBe(201);
      expect(res.headers["x-ratelimit-limit"]).toBe("250");
    });
  });
});

describe("POST /users/export/ids with fields_to_export optional and named apps", () => {
  const apps = [
    { appId: "acme-ios-app-id", name: "Acme for iPhone", platform: "ios" as const },
    { appId: "acme-android-app-id", name: "Acme for Android", platform: "android" as const },
  ];
  const emulator = useEmulator({ config: { apps, limits: { requireFieldsToExport: false } } });
  const url = () => emulator.current.url;

  beforeAll(async () => {
    await seed(url(), apps[0].appId, apps[1].appId);
  });

  it("exports every field when fields_to_export is missing", async () => {
    const res = await exportIds(url(), { external_ids: ["ada"] });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      message: "success",
      users: [
        {
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          external_id: "ada",
          braze_id: expect.stringMatching(BRAZE_ID),
          email: "ada@example.com",
          phone: "+15550001111",
          first_name: "Ada",
          country: "GB",
          custom_attributes: { tier: "gold" },
          push_tokens: [
            { ...ADA_TOKENS[0], app: "Acme for iPhone" },
            { ...ADA_TOKENS[1], app: "Acme for Android" },
          ],
          devices: [
            { device_id: "ada-iphone-01", os: "iOS" },
            { device_id: "ada-pixel-001", os: "Android" },
          ],
        },
      ],
    });
  });
});

describe("POST /users/export/ids rate limits from the config", () => {
  // hour-long windows so that no window ends while the test runs
  const emulator = useEmulator({
    config: {
      limits: { requireFieldsToExport: false },
      rateLimits: {
        usersExportIds: { limit: 3, windowSeconds: 3600 },
        usersExportIdsWithFields: { limit: 5, windowSeconds: 3600 },
      },
    },
  });
  const url = () => emulator.current.url;

  it("counts requests with and without fields_to_export against separate limits", async () => {
    const withFields = await exportIds(url(), {
      external_ids: ["ada"],
      fields_to_export: ["external_id"],
    });
    expect(withFields.status).toBe(201);
    expect(withFields.headers["x-ratelimit-limit"]).toBe("5");
    expect(withFields.headers["x-ratelimit-remaining"]).toBe("4");

    const without: Answer[] = [];
    for (let i = 0; i < 4; i++) without.push(await exportIds(url(), { external_ids: ["ada"] }));
    expect(without.map((r) => r.status)).toEqual([201, 201, 201, 429]);
    expect(without.map((r) => r.headers["x-ratelimit-limit"])).toEqual(["3", "3", "3", "3"]);
    expect(without.map((r) => r.headers["x-ratelimit-remaining"])).toEqual(["2", "1", "0", "0"]);
    expect(without[3].body).toEqual({ message: "API Rate Limit Exceeded" });

    // the faster group is untouched by the slower one running out
    const again = await exportIds(url(), {
      external_ids: ["ada"],
      fields_to_export: ["external_id"],
    });
    expect(again.status).toBe(201);
    expect(again.headers["x-ratelimit-remaining"]).toBe("3");
  });
});

// --- helpers -----------------------------------------------------------------------------

function exportIds(url: string, body: unknown): Promise<Answer> {
  return post(url, "/users/export/ids", body);
}

/**
 * Three profiles: "ada" with email, phone, attributes and two tokens; "bob" with nothing else;
 * and an alias-only profile with one iOS token.
 */
async function seed(url: string, iosAppId: string, androidAppId: string): Promise<void> {
  const res = await post(url, "/users/track", {
    attributes: [
      {
        external_id: "ada",
        email: "ada@example.com",
        phone: "+15550001111",
        first_name: "Ada",
        country: "GB",
        tier: "gold",
        push_tokens: [
          { app_id: iosAppId, token: apnsToken(1), device_id: "ada-iphone-01" },
          { app_id: androidAppId, token: fcmToken(1), device_id: "ada-pixel-001" },
        ],
      },
      { external_id: "bob" },
      {
        user_alias: ALIAS,
        _update_existing_only: false,
        push_tokens: [{ app_id: iosAppId, token: apnsToken(2), device_id: "alias-iphone-1" }],
      },
    ],
  });
  expect(res.body).toEqual({ message: "success", attributes_processed: 3 });
}

/** `n` external_ids no profile has. */
function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `ghost-${i}`);
}
