import { BrazeClient } from "../../src/client";
import {
  applyReceiverSetting,
  checkReceiverSetting,
  previewAndroidPush,
  readEmulatorApp,
  readEmulatorOutbox,
  resolveReceiverSetting,
  sendTestPush,
  setEmulatorFlatten,
  type ReceiverSettingInput,
} from "../../src/push/receivers";
import { closeClients, clientFor, rejectionOf } from "../client/client-helpers";
import { admin, APP, apnsToken, fcmToken, KEY, post, useEmulator } from "../helpers";

const MESSAGE = {
  alert: "Your order shipped",
  title: "Acme",
  extra: { promo: "spring" },
  customUri: "acme://orders/42",
};

const INPUTS: Record<string, Omit<ReceiverSettingInput, "appId">> = {
  onesignal: { receiver: "onesignal", keyValuePairs: { screen: "orders" } },
  airship: { receiver: "airship", keyValuePairs: { screen: "orders" } },
  custom: {
    receiver: "custom",
    keyValuePairs: { kind: "order" },
    custom: { requiredKeys: ["kind", "body"], fill: { alert: "body", sendId: "msg_id" } },
  },
};

describe("Android receivers against the emulator", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;
  let client: BrazeClient;

  beforeAll(async () => {
    client = clientFor(url());
    const track = await post(url(), "/users/track", {
      attributes: [
        {
          external_id: "rcv-1",
          push_tokens: [
            { app_id: APP.android, token: fcmToken(61) },
            { app_id: APP.ios, token: apnsToken(61) },
          ],
        },
        { external_id: "rcv-2", push_tokens: [{ app_id: APP.android, token: fcmToken(62) }] },
      ],
    });
    expect(track.status).toBe(201);
  });
  afterAll(closeClients);

  const declare = (receiver: string, flatten: boolean) =>
    resolveReceiverSetting({ appId: APP.android, ...INPUTS[receiver], flatten });

  describe.each(["onesignal", "airship", "custom"])("the %s preset", (receiver) => {
    it.each([true, false])(
      "delivers exactly the previewed data map with flatten %s",
      async (flatten) => {
        const setting = declare(receiver, flatten);
        const applied = await applyReceiverSetting(setting, { kind: "emulator", url: url() });
        expect(applied.state).toBe("applied");

        const sent = await sendTestPush(client, {
          setting,
          message: MESSAGE,
          externalIds: ["rcv-1", "rcv-2"],
          sendId: `send-${receiver}-${flatten}`,
        });
        const outbox = await readEmulatorOutbox(url(), sent.dispatchId);

        // the preview, rendered apart from the send, with the cid the emulator writes
        const preview = previewAndroidPush(
          setting,
          { ...MESSAGE, campaignId: sent.dispatchId },
          { sendId: `send-${receiver}-${flatten}` },
        );
        expect(outbox).toEqual([
          {
            dispatchId: sent.dispatchId,
            externalId: "rcv-1",
            appId: APP.android,
            platform: "android",
            token: `…${fcmToken(61).slice(-6)}`,
            payload: preview.data,
          },
          {
            dispatchId: sent.dispatchId,
            externalId: "rcv-2",
            appId: APP.android,
            platform: "android",
            token: `…${fcmToken(62).slice(-6)}`,
            payload: preview.data,
          },
        ]);
        expect(sent.expected).toEqual(preview);
        expect(sent.request).toEqual({
          external_user_ids: ["rcv-1", "rcv-2"],
          messages: { android_push: preview.request },
        });
        // what each receiver needs is at the top level exactly when flattened
        const hidden = preview.warnings.some((w) => w.code === "KEYS_HIDDEN_IN_EXTRA");
        expect(hidden).toBe(!flatten);
        expect("extra" in preview.data).toBe(!flatten);
      },
    );
  });

  it("renders the receiver's keys at the top level only after flattening is applied", async () => {
    const setting = declare("onesignal", true);
    await setEmulatorFlatten(url(), APP.android, false);

    const before = await checkReceiverSetting(setting, { kind: "emulator", url: url() });
    const nested = await sendTestPush(client, {
      setting,
      message: MESSAGE,
      externalIds: ["rcv-2"],
    });
    const applied = await applyReceiverSetting(setting, { kind: "emulator", url: url() });
    const flat = await sendTestPush(client, { setting, message: MESSAGE, externalIds: ["rcv-2"] });

    expect(before.state).toBe("not_applied");
    expect(applied.state).toBe("applied");
    expect(await readEmulatorApp(url(), APP.android)).toMatchObject({ flatten: true });
    const [nestedPayload] = (await readEmulatorOutbox(url(), nested.dispatchId)).map(
      (d) => d.payload as Record<string, string>,
    );
    const [flatPayload] = (await readEmulatorOutbox(url(), flat.dispatchId)).map(
      (d) => d.payload as Record<string, string>,
    );
    expect(nestedPayload.custom).toBeUndefined();
    expect(JSON.parse(JSON.parse(nestedPayload.extra).custom)).toEqual({
      i: nested.sendId,
      u: "acme://orders/42",
    });
    expect(JSON.parse(flatPayload.custom)).toEqual({ i: flat.sendId, u: "acme://orders/42" });
    expect(flatPayload.alert).toBe("Your order shipped");
    expect(nested.sendId).not.toBe(flat.sendId);
  });

  it("drops flattened pairs named like Braze's keys, as the preview says", async () => {
    const setting = resolveReceiverSetting({
      appId: APP.android,
      receiver: "airship",
      keyValuePairs: { t: "mine", a: "mine too", screen: "orders" },
    });
    await applyReceiverSetting(setting, { kind: "emulator", url: url() });

    const sent = await sendTestPush(client, {
      setting,
      message: { ...MESSAGE, extra: { cid: "x", promo: "spring" } },
      externalIds: ["rcv-2"],
    });
    const [delivery] = await readEmulatorOutbox(url(), sent.dispatchId);

    expect(setting.issues.map((i) => [i.code, i.key])).toEqual([
      ["KEY_RESERVED_BY_BRAZE", "t"],
      ["KEY_RESERVED_BY_BRAZE", "a"],
    ]);
    expect(sent.expected.warnings.map(({ code, keys }) => ({ code, keys }))).toEqual([
      { code: "KEY_COLLISION", keys: ["t", "a", "cid"] },
    ]);
    expect(delivery.payload).toEqual(sent.expected.data);
    expect(delivery.payload).toMatchObject({
      t: "Acme",
      a: "Your order shipped",
      cid: sent.dispatchId,
      screen: "orders",
    });
  });

  describe("size limits", () => {
    const setting = () => declare("onesignal", true);
    // pads the message so that alert plus extra is exactly `bytes`
    const sized = (bytes: number) => {
      const base = previewAndroidPush(
        setting(),
        { ...MESSAGE, extra: { pad: "" } },
        { sendId: "s" },
      );
      const pad = "x".repeat(bytes - base.bytes.androidPush);
      return previewAndroidPush(setting(), { ...MESSAGE, extra: { pad } }, { sendId: "s" });
    };

    it("agrees with the emulator on the 4,000-byte boundary", async () => {
      const atLimit = sized(4000);
      const over = sized(4001);

      const accepted = await post(url(), "/messages/send", {
        external_user_ids: ["rcv-2"],
        messages: { android_push: atLimit.request },
      });
      const refused = await post(url(), "/messages/send", {
        external_user_ids: ["rcv-2"],
        messages: { android_push: over.request },
      });

      expect(atLimit.bytes.androidPush).toBe(4000);
      expect(atLimit.warnings.map((w) => w.code)).not.toContain("ANDROID_PUSH_TOO_LONG");
      expect(accepted.status).toBe(201);
      expect(over.warnings.map((w) => w.code)).toContain("ANDROID_PUSH_TOO_LONG");
      expect(refused.status).toBe(400);
      expect(refused.body.message).toBe("Android Push Length Exceeded");
      // what the emulator delivered is over Braze's usable payload: the preview says so
      const [delivery] = await readEmulatorOutbox(url(), accepted.body.dispatch_id);
      expect(atLimit.warnings.map((w) => w.code)).toContain("PAYLOAD_TOO_LARGE");
      expect(Buffer.byteLength(JSON.stringify(delivery.payload))).toBeGreaterThan(3807);
    });

    it("refuses a send-test over the limit before sending anything", async () => {
      const pad = sized(4001).request.extra!.pad as string;
      const before = (await admin(url(), "GET", "/stats")).body.outbox;

      const err = await rejectionOf(
        sendTestPush(client, {
          setting: setting(),
          message: { ...MESSAGE, extra: { pad } },
          externalIds: ["rcv-2"],
          sendId: "s",
        }),
      );

      expect(err.code).toBe("SEND_TEST_TOO_LONG");
      expect(err.message).toBe(
        "the test push's alert plus extra is 4001 bytes, over Braze's 4000: nothing was sent; " +
          "shorten the alert or the pairs",
      );
      expect((await admin(url(), "GET", "/stats")).body.outbox).toBe(before);
    });
  });

  describe("send-test refusals and output", () => {
    it("refuses no recipient, more than 50, and an empty external_id", async () => {
      const setting = declare("airship", true);
      const send = (externalIds: string[]) =>
        rejectionOf(sendTestPush(client, { setting, message: MESSAGE, externalIds }));

      expect((await send([])).code).toBe("SEND_TEST_RECIPIENTS");
      const many = Array.from({ length: 51 }, (_, i) => `u-${i}`);
      expect((await send(many)).message).toBe(
        "a test push goes to 1 to 50 external_ids, got 51: name the test users with --external-id",
      );
      expect((await send(["rcv-1", " "])).message).toBe(
        "external_id number 2 of the test push is empty: give a test user's external_id",
      );
    });

    it("sends the campaign_id when the message has one, and Braze writes it as cid", async () => {
      const setting = declare("custom", true);

      const sent = await sendTestPush(client, {
        setting,
        message: { ...MESSAGE, campaignId: "cmp-7" },
        externalIds: ["rcv-2"],
      });
      const [delivery] = await readEmulatorOutbox(url(), sent.dispatchId);

      expect(sent.request.campaign_id).toBe("cmp-7");
      expect(sent.expected.data.cid).toBe("cmp-7");
      expect(delivery.payload).toEqual(sent.expected.data);
    });

    it("holds neither the API key nor a whole token in what it returns or reads", async () => {
      const setting = declare("onesignal", true);

      const sent = await sendTestPush(client, {
        setting,
        message: MESSAGE,
        externalIds: ["rcv-1"],
      });
      const outbox = await readEmulatorOutbox(url(), sent.dispatchId);
      const printed = JSON.stringify({ sent, outbox });

      expect(printed).not.toContain(KEY);
      expect(printed).not.toContain(fcmToken(61));
      expect(printed).not.toContain(fcmToken(61).slice(0, -6));
      expect(outbox.map((d) => d.token)).toEqual([`…${fcmToken(61).slice(-6)}`]);
    });
  });

  describe("the emulator's admin API", () => {
    it("refuses an unknown app and an app that is not Android", async () => {
      const unknown = resolveReceiverSetting({ appId: "no-such-app", receiver: "airship" });
      const ios = resolveReceiverSetting({ appId: APP.ios, receiver: "airship" });

      const missing = await rejectionOf(
        applyReceiverSetting(unknown, { kind: "emulator", url: url() }),
      );
      const notAndroid = await rejectionOf(
        checkReceiverSetting(ios, { kind: "emulator", url: url() }),
      );

      expect(missing.code).toBe("EMULATOR_ADMIN");
      expect(missing.message).toBe(
        `the emulator at ${url()} has no app with app_id no-such-app: add it to the emulator's ` +
          "config or through POST /_emulator/apps",
      );
      expect(notAndroid.code).toBe("EMULATOR_ADMIN");
      expect(notAndroid.message).toContain(
        "is ios: receiver settings and flattening are for Android apps only",
      );
    });

    it("passes on the emulator's own refusal", async () => {
      const err = await rejectionOf(setEmulatorFlatten(url(), "no-such-app", true));

      expect(err.code).toBe("EMULATOR_ADMIN");
      expect(err.message).toBe(
        'the emulator refused POST /_emulator/apps/no-such-app/flatten: 404 no app with app_id "no-such-app"',
      );
    });

    it("says when the emulator cannot be reached", async () => {
      const closed = await startAndStop();

      const err = await rejectionOf(readEmulatorApp(closed, APP.android));

      expect(err.code).toBe("EMULATOR_ADMIN");
      expect(err.message).toMatch(
        /^cannot reach the emulator's admin API at http:\/\/127\.0\.0\.1:\d+: .+; start it with braze-push-migrate emulator and pass its URL$/,
      );
    });

    it("reads real Braze from the declaration alone, without a request", async () => {
      const setting = declare("onesignal", true);

      const checked = await checkReceiverSetting(setting, { kind: "braze" });
      const applied = await applyReceiverSetting(setting, { kind: "braze" });

      expect(checked.state).toBe("pending_confirmation");
      expect(applied).toEqual(checked);
    });
  });
});

/** The URL of an emulator that was started and stopped: nothing listens there. */
async function startAndStop(): Promise<string> {
  const { startEmulator } = await import("../../src/emulator/server");
  const stopped = await startEmulator({ port: 0 });
  await stopped.close();
  return stopped.url;
}
