import { APP, apnsToken, post, useEmulator } from "../helpers";

describe("emulator smoke", () => {
  const emulator = useEmulator();

  it("accepts an identified import and exports the token with the app name", async () => {
    const track = await post(emulator.current.url, "/users/track", {
      attributes: [
        { external_id: "smoke-1", push_tokens: [{ app_id: APP.ios, token: apnsToken(1) }] },
      ],
    });
    expect(track.status).toBe(201);
    expect(track.body).toEqual({ message: "success", attributes_processed: 1 });

    const exported = await post(emulator.current.url, "/users/export/ids", {
      external_ids: ["smoke-1"],
      fields_to_export: ["external_id", "push_tokens"],
    });
    expect(exported.body.users[0].push_tokens[0]).toMatchObject({
      app: "Emulated iOS",
      platform: "iOS",
      token: apnsToken(1),
    });
  });
});
