import {
  formatPreviewJson,
  formatPreviewText,
  previewAndroidPush,
  resolveReceiverSetting,
  type ReceiverSettingInput,
} from "../../src/push/receivers";

const APP_ID = "5e0ab7c2-0000-4000-8000-000000000002";
const MESSAGE = {
  alert: "Your order shipped",
  title: "Acme",
  extra: { promo: "spring" },
  campaignId: "cmp-1",
};
const UA = {
  canonical: "com.urbanairship.push.CANONICAL_PUSH_ID",
  alert: "com.urbanairship.push.ALERT",
  title: "com.urbanairship.title",
  apid: "com.urbanairship.push.APID",
};

const setting = (input: Omit<ReceiverSettingInput, "appId">) =>
  resolveReceiverSetting({ appId: APP_ID, ...input });

const SETTINGS = {
  onesignal: setting({ receiver: "onesignal", keyValuePairs: { screen: "orders" } }),
  airship: setting({ receiver: "airship", keyValuePairs: { screen: "orders" } }),
  custom: setting({
    receiver: "custom",
    keyValuePairs: { kind: "order" },
    custom: { requiredKeys: ["kind"] },
  }),
};

describe("previewing every preset, flattened and not", () => {
  const cases = [
    {
      receiver: "onesignal",
      flatten: true,
      data: {
        _ab: "true",
        a: "Your order shipped",
        t: "Acme",
        cid: "cmp-1",
        custom: '{"i":"send-1"}',
        alert: "Your order shipped",
        title: "Acme",
        screen: "orders",
        promo: "spring",
      },
      warnings: [],
    },
    {
      receiver: "onesignal",
      flatten: false,
      data: {
        _ab: "true",
        a: "Your order shipped",
        t: "Acme",
        cid: "cmp-1",
        extra:
          '{"custom":"{\\"i\\":\\"send-1\\"}","alert":"Your order shipped","title":"Acme",' +
          '"screen":"orders","promo":"spring"}',
      },
      warnings: [{ code: "KEYS_HIDDEN_IN_EXTRA", keys: ["custom", "alert"] }],
    },
    {
      receiver: "airship",
      flatten: true,
      data: {
        _ab: "true",
        a: "Your order shipped",
        t: "Acme",
        cid: "cmp-1",
        [UA.canonical]: "send-1",
        [UA.alert]: "Your order shipped",
        [UA.title]: "Acme",
        screen: "orders",
        promo: "spring",
      },
      warnings: [],
    },
    {
      receiver: "airship",
      flatten: false,
      data: {
        _ab: "true",
        a: "Your order shipped",
        t: "Acme",
        cid: "cmp-1",
        extra:
          `{"${UA.canonical}":"send-1","${UA.alert}":"Your order shipped","${UA.title}":"Acme",` +
          '"screen":"orders","promo":"spring"}',
      },
      warnings: [{ code: "KEYS_HIDDEN_IN_EXTRA", keys: [UA.canonical, UA.alert] }],
    },
    {
      receiver: "custom",
      flatten: true,
      data: {
        _ab: "true",
        a: "Your order shipped",
        t: "Acme",
        cid: "cmp-1",
        kind: "order",
        promo: "spring",
      },
      warnings: [],
    },
    {
      receiver: "custom",
      flatten: false,
      data: {
        _ab: "true",
        a: "Your order shipped",
        t: "Acme",
        cid: "cmp-1",
        extra: '{"kind":"order","promo":"spring"}',
      },
      warnings: [{ code: "KEYS_HIDDEN_IN_EXTRA", keys: ["kind"] }],
    },
  ] as const;

  it.each(cases)(
    "renders $receiver with flatten $flatten",
    ({ receiver, flatten, data, warnings }) => {
      const preview = previewAndroidPush(SETTINGS[receiver], MESSAGE, {
        sendId: "send-1",
        flatten,
      });

      expect(preview.data).toEqual(data);
      expect(preview.flatten).toBe(flatten);
      expect(preview.warnings.map(({ code, keys }) => ({ code, keys }))).toEqual(warnings);
    },
  );

  it("sends the same android_push whether the app flattens or not", () => {
    const flat = previewAndroidPush(SETTINGS.onesignal, MESSAGE, { sendId: "s", flatten: true });
    const nested = previewAndroidPush(SETTINGS.onesignal, MESSAGE, { sendId: "s", flatten: false });

    expect(flat.request).toEqual(nested.request);
    expect(flat.request).toEqual({
      alert: "Your order shipped",
      title: "Acme",
      extra: {
        custom: '{"i":"s"}',
        alert: "Your order shipped",
        title: "Acme",
        screen: "orders",
        promo: "spring",
      },
    });
  });

  it("says what is hidden in extra and how to fix it", () => {
    const preview = previewAndroidPush(SETTINGS.onesignal, MESSAGE, { flatten: false });

    expect(preview.warnings[0].message).toBe(
      'unflattened, "custom", "alert" are inside Braze\'s "extra" JSON string, where the ' +
        `OneSignal receiver never looks, so it shows nothing; ask Braze to flatten app ${APP_ID} ` +
        "and declare flatten: true",
    );
  });

  it("uses a new send id for every preview unless one is given", () => {
    const first = previewAndroidPush(SETTINGS.onesignal, MESSAGE);
    const second = previewAndroidPush(SETTINGS.onesignal, MESSAGE);

    expect(first.sendId).not.toBe(second.sendId);
    expect(JSON.parse(first.data.custom)).toEqual({ i: first.sendId });
  });

  it("carries the declared setting's issues", () => {
    const declaredOff = setting({ receiver: "onesignal", flatten: false });

    const preview = previewAndroidPush(declaredOff, MESSAGE);

    expect(preview.flatten).toBe(false);
    expect(preview.issues.map((i) => i.code)).toEqual(["FLATTEN_REQUIRED"]);
    expect(preview.warnings.map((w) => w.code)).toEqual(["KEYS_HIDDEN_IN_EXTRA"]);
  });
});

describe("preview warnings", () => {
  it("drops a message pair that collides with a receiver pair, keeping the receiver's", () => {
    const preview = previewAndroidPush(
      SETTINGS.onesignal,
      { ...MESSAGE, extra: { alert: "other", promo: "spring" } },
      { sendId: "s" },
    );

    expect(preview.data.alert).toBe("Your order shipped");
    expect(preview.warnings).toEqual([
      {
        code: "KEY_COLLISION",
        keys: ["alert"],
        message:
          'the message\'s pair "alert" is dropped: the OneSignal receiver setting already sends ' +
          '"alert"; rename the message\'s key',
      },
    ]);
  });

  it("drops a flattened pair named like Braze's own key, and keeps it when not flattened", () => {
    const message = { ...MESSAGE, extra: { t: "mine", uri: "x" } };

    const flat = previewAndroidPush(SETTINGS.airship, message, { sendId: "s", flatten: true });
    const nested = previewAndroidPush(SETTINGS.airship, message, { sendId: "s", flatten: false });

    expect(flat.data.t).toBe("Acme");
    expect(flat.data.uri).toBeUndefined();
    expect(flat.warnings.map(({ code, keys }) => ({ code, keys }))).toEqual([
      { code: "KEY_COLLISION", keys: ["t", "uri"] },
    ]);
    expect(JSON.parse(nested.data.extra)).toMatchObject({ t: "mine", uri: "x" });
    expect(nested.warnings.map((w) => w.code)).toEqual(["KEYS_HIDDEN_IN_EXTRA"]);
  });

  it("warns when a required key is empty", () => {
    const preview = previewAndroidPush(SETTINGS.onesignal, { ...MESSAGE, alert: "" });

    expect(preview.warnings).toEqual([
      {
        code: "REQUIRED_KEY_MISSING",
        keys: ["alert"],
        message:
          'the data map has no non-empty "alert": the OneSignal receiver shows nothing when ' +
          '"alert" is missing or empty',
      },
    ]);
  });

  it("warns when a required key is missing altogether", () => {
    const custom = setting({ receiver: "custom", custom: { requiredKeys: ["kind"] } });

    const preview = previewAndroidPush(custom, MESSAGE);

    expect(preview.warnings.map(({ code, keys }) => ({ code, keys }))).toEqual([
      { code: "REQUIRED_KEY_MISSING", keys: ["kind"] },
    ]);
  });

  it("warns when a key that hides the push reaches the receiver", () => {
    const message = { ...MESSAGE, extra: { [UA.apid]: "another-channel" } };

    const preview = previewAndroidPush(SETTINGS.airship, message);

    expect(preview.warnings.map(({ code, keys }) => ({ code, keys }))).toEqual([
      { code: "FORBIDDEN_KEY_SENT", keys: [UA.apid] },
    ]);
  });
});

describe("size limits", () => {
  const plain = setting({ receiver: "custom" });
  const message = (alert: string) => ({ alert, title: "T" });
  const codes = (alert: string, limits = {}) =>
    previewAndroidPush(plain, message(alert), { limits }).warnings.map((w) => w.code);

  it("counts the alert plus the JSON of extra against 4,000 bytes", () => {
    // no pairs: only the alert counts; "é" is two bytes in UTF-8
    const atLimit = previewAndroidPush(plain, message("é".repeat(2000)), {
      limits: { payloadMaxBytes: 10_000 },
    });
    const over = previewAndroidPush(plain, message(`${"é".repeat(2000)}x`), {
      limits: { payloadMaxBytes: 10_000 },
    });

    expect(atLimit.bytes.androidPush).toBe(4000);
    expect(atLimit.warnings).toEqual([]);
    expect(over.bytes.androidPush).toBe(4001);
    expect(over.warnings).toEqual([
      {
        code: "ANDROID_PUSH_TOO_LONG",
        message:
          "alert plus extra is 4001 bytes, over Braze's 4000: /messages/send answers 400 " +
          '"Android Push Length Exceeded"; shorten the alert or the pairs',
      },
    ]);
  });

  it("counts OneSignal's copy of the alert in extra: the preset halves the room for text", () => {
    const text = "x".repeat(100);
    const preview = previewAndroidPush(
      SETTINGS.onesignal,
      { alert: text, title: "T" },
      { sendId: "s" },
    );

    const extra = `{"custom":"{\\"i\\":\\"s\\"}","alert":"${text}","title":"T","screen":"orders"}`;
    expect(preview.bytes.androidPush).toBe(100 + extra.length);
    expect(preview.bytes.androidPush).toBeGreaterThan(200);
  });

  it("counts the delivered data map against Braze's 3,807 bytes", () => {
    // {"_ab":"true","a":"<alert>","t":"T"} is 29 bytes plus the alert
    expect(codes("x".repeat(3778))).toEqual([]);
    expect(previewAndroidPush(plain, message("x".repeat(3778))).bytes.payload).toBe(3807);
    expect(codes("x".repeat(3779))).toEqual(["PAYLOAD_TOO_LARGE"]);
  });

  it("takes each limit as a setting", () => {
    expect(codes("x".repeat(71))).toEqual([]);
    expect(codes("x".repeat(71), { payloadMaxBytes: 100 })).toEqual([]);
    expect(codes("x".repeat(72), { payloadMaxBytes: 100 })).toEqual(["PAYLOAD_TOO_LARGE"]);
    expect(codes("x".repeat(51), { androidPushMaxBytes: 50 })).toEqual(["ANDROID_PUSH_TOO_LONG"]);
    expect(previewAndroidPush(plain, message("x")).bytes).toEqual({
      androidPush: 1,
      androidPushLimit: 4000,
      payload: 30,
      payloadLimit: 3807,
    });
  });
});

describe("printed forms", () => {
  it("prints text with the data map as JSON, the sizes and no warnings", () => {
    const preview = previewAndroidPush(SETTINGS.airship, MESSAGE, { sendId: "send-1" });

    expect(formatPreviewText(preview)).toBe(
      [
        `Airship receiver, app ${APP_ID}: flattened (the receiver reads top-level keys, so it ` +
          "needs flattening)",
        "send id send-1 (new at every send: the receiver drops a repeat)",
        "campaign_id cmp-1",
        "FCM data map Braze delivers:",
        "{",
        '  "_ab": "true",',
        '  "a": "Your order shipped",',
        '  "t": "Acme",',
        '  "cid": "cmp-1",',
        `  "${UA.canonical}": "send-1",`,
        `  "${UA.alert}": "Your order shipped",`,
        `  "${UA.title}": "Acme",`,
        '  "screen": "orders",',
        '  "promo": "spring"',
        "}",
        `sizes: alert + extra ${preview.bytes.androidPush} of 4000 bytes, data map ` +
          `${preview.bytes.payload} of 3807 bytes`,
        "warnings: none",
        "",
      ].join("\n"),
    );
  });

  it("prints the setting's issues and the warnings with their codes", () => {
    const preview = previewAndroidPush(setting({ receiver: "onesignal", flatten: false }), MESSAGE);

    const lines = formatPreviewText(preview).split("\n");

    expect(lines).toContain("setting issues (1):");
    expect(lines).toContain("warnings (1):");
    expect(lines.filter((line) => line.startsWith("  "))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}error FLATTEN_REQUIRED: flatten is false, but the OneSignal/),
        expect.stringMatching(/^ {2}KEYS_HIDDEN_IN_EXTRA: unflattened, "custom", "alert"/),
      ]),
    );
  });

  it("prints JSON with a version, holding everything the preview holds", () => {
    const preview = previewAndroidPush(SETTINGS.custom, MESSAGE, { flatten: false });

    const json = JSON.parse(formatPreviewJson(preview));

    expect(json.version).toBe(1);
    expect(json).toEqual(JSON.parse(JSON.stringify(preview)));
    expect(json.data.extra).toBe('{"kind":"order","promo":"spring"}');
    expect(json.warnings[0].code).toBe("KEYS_HIDDEN_IN_EXTRA");
  });
});
