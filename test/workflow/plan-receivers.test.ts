/**
 * Where plan judges a receiver setting: by the endpoint, as the handlers do. A loopback
 * endpoint is read through the emulator's admin API; any other is Braze and never contacted.
 */
import type { ReceiverSettingsManifest } from "../../src/manifest/manifest";
import { receiverStatusOf, receiverTargets } from "../../src/workflow/plan-receivers";
import { admin, APP, useEmulator } from "../helpers";

const setting: ReceiverSettingsManifest = {
  kind: "android-receiver-settings",
  version: 1,
  construct_path: "acme/legacy-receiver",
  api_key_env: "BRAZE_API_KEY",
  app_id: APP.android,
  app_path: "acme/android",
  app_name: "Acme Android",
  receiver: "custom",
  key_value_pairs: { sender: "acme-legacy" },
  flatten: true,
};

async function statusFor(manifest: ReceiverSettingsManifest, env: NodeJS.ProcessEnv) {
  const target = (await receiverTargets([manifest], env)).get(manifest.construct_path)!;
  return { target, status: receiverStatusOf(manifest, target) };
}

describe("plan's receiver targets", () => {
  const emulator = useEmulator();

  it("reads the emulator's flattening: not applied, then applied", async () => {
    const env = { BRAZE_REST_ENDPOINT: emulator.current.url };
    expect((await statusFor(setting, env)).status.state).toBe("not_applied");
    await admin(emulator.current.url, "POST", `/apps/${APP.android}/flatten`, { flatten: true });
    const { target, status } = await statusFor(setting, env);
    expect(target).toEqual({ kind: "emulator", appFlatten: true });
    expect(status.state).toBe("applied");
  });

  it("judges a loopback endpoint that is not the emulator as Braze, as the handlers do", async () => {
    const { target, status } = await statusFor(setting, {
      BRAZE_REST_ENDPOINT: "http://127.0.0.1:9",
    });
    expect(target).toEqual({ kind: "braze" });
    expect(status.state).toBe("pending_confirmation");
    expect(status.requestText).toContain("Acme Android");
  });

  it("says plainly when the emulator answers but its app cannot be read", async () => {
    const { status } = await statusFor(
      { ...setting, app_id: "no-such-app" },
      { BRAZE_REST_ENDPOINT: emulator.current.url },
    );
    expect(status.state).toBe("not_checkable");
    expect(status.detail).toMatch(/^not checkable now: .*no app with app_id no-such-app/);
  });

  it("judges the stack's own endpoint over BRAZE_REST_ENDPOINT: Braze, pending confirmation", async () => {
    const { target, status } = await statusFor(
      { ...setting, endpoint: "https://rest.fra-01.braze.eu" },
      { BRAZE_REST_ENDPOINT: emulator.current.url },
    );
    expect(target).toEqual({ kind: "braze" });
    expect(status.state).toBe("pending_confirmation");
    expect(status.detail).toContain("`flattenConfirmation` on this construct");
    expect(status.requestText).toContain("Acme Android");
  });

  it("without an endpoint judges as against Braze and says why", async () => {
    const { target, status } = await statusFor(setting, {});
    expect(target.kind).toBe("unknown");
    expect(status.state).toBe("pending_confirmation");
    expect(status.detail).toMatch(
      /^no endpoint: the stack declares none and BRAZE_REST_ENDPOINT is not set, so this is judged as against Braze: only Braze staff/,
    );
  });

  it("a flattening Braze confirmed is not checkable", async () => {
    const { status } = await statusFor(
      { ...setting, flatten_confirmation: "ticket-1" },
      { BRAZE_REST_ENDPOINT: "US-03" },
    );
    expect(status.state).toBe("not_checkable");
    expect(status.detail).toContain("reference ticket-1");
  });
});
