import { admin, APP, apnsToken, post, useEmulator } from "../helpers";

// the `apps` export field: apps a profile logged sessions in through the SDK
// (_docs/_api/endpoints/export/user_data/post_users_identifier.md)
describe("the apps field of user exports", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
  });

  const exportApps = async (body: Record<string, unknown>) =>
    (await post(url(), "/users/export/ids", { ...body, fields_to_export: ["external_id", "apps"] }))
      .body.users;

  it("lists the app of every SDK session, counting sessions", async () => {
    await admin(url(), "POST", "/sdk-session", {
      app_id: APP.ios,
      token: apnsToken(1),
      external_id: "sdk-user",
    });
    await admin(url(), "POST", "/sdk-session", {
      app_id: APP.ios,
      token: apnsToken(1),
      external_id: "sdk-user",
    });

    const [user] = await exportApps({ external_ids: ["sdk-user"] });
    expect(user.apps).toEqual([
      {
        name: "Emulated iOS",
        platform: "iOS",
        sessions: 2,
        first_used: expect.any(String),
        last_used: expect.any(String),
      },
    ]);
  });

  it("leaves the field out for profiles only the REST API wrote", async () => {
    await post(url(), "/users/track", {
      attributes: [
        { external_id: "rest-user", push_tokens: [{ app_id: APP.ios, token: apnsToken(2) }] },
        {
          push_token_import: true,
          push_tokens: [{ app_id: APP.ios, token: apnsToken(3), device_id: "device-0003" }],
        },
      ],
    });

    expect(await exportApps({ external_ids: ["rest-user"] })).toEqual([
      { external_id: "rest-user" },
    ]);
    expect(await exportApps({ device_id: "device-0003" })).toEqual([{}]);
  });
});
