import {
  assertValidSetting,
  RECEIVER_PRESETS,
  receiverKeys,
  receiverPairs,
  resolveReceiverSetting,
  type ReceiverIssue,
  type ReceiverSettingInput,
} from "../../src/push/receivers";

const APP_ID = "5e0ab7c2-0000-4000-8000-000000000002";
const MESSAGE = { alert: "Your order shipped", title: "Acme" };

describe("resolving a receiver setting", () => {
  it("takes the preset's need for flattening when flatten is not declared", () => {
    const onesignal = resolveReceiverSetting({ appId: APP_ID, receiver: "onesignal" });
    const airship = resolveReceiverSetting({ appId: APP_ID, receiver: "airship" });
    const custom = resolveReceiverSetting({ appId: APP_ID, receiver: "custom" });
    const customReading = resolveReceiverSetting({
      appId: APP_ID,
      receiver: "custom",
      keyValuePairs: { kind: "promo" },
      custom: { requiredKeys: ["kind"] },
    });

    expect([onesignal.flatten, airship.flatten, custom.flatten, customReading.flatten]).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect([onesignal, airship, custom, customReading].map((s) => s.issues)).toEqual([
      [],
      [],
      [],
      [],
    ]);
  });

  it("fills OneSignal's custom, alert and title, then the team's pairs", () => {
    const setting = resolveReceiverSetting({
      appId: APP_ID,
      receiver: "onesignal",
      keyValuePairs: { screen: "orders" },
    });

    expect(receiverPairs(setting, MESSAGE, "send-1")).toEqual({
      custom: '{"i":"send-1"}',
      alert: "Your order shipped",
      title: "Acme",
      screen: "orders",
    });
    expect(receiverPairs(setting, { ...MESSAGE, customUri: "acme://orders" }, "send-2")).toEqual({
      custom: '{"i":"send-2","u":"acme://orders"}',
      alert: "Your order shipped",
      title: "Acme",
      screen: "orders",
    });
    expect(receiverKeys(setting)).toEqual(["custom", "alert", "title", "screen"]);
  });

  it("fills Airship's canonical push id, alert and title, and a deep link action", () => {
    const setting = resolveReceiverSetting({ appId: APP_ID, receiver: "airship" });

    expect(receiverPairs(setting, { ...MESSAGE, customUri: "acme://orders" }, "send-3")).toEqual({
      "com.urbanairship.push.CANONICAL_PUSH_ID": "send-3",
      "com.urbanairship.push.ALERT": "Your order shipped",
      "com.urbanairship.title": "Acme",
      "com.urbanairship.actions": '{"^d":"acme://orders"}',
    });
  });

  it("fills the keys a custom receiver names, from the message and the send id", () => {
    const setting = resolveReceiverSetting({
      appId: APP_ID,
      receiver: "custom",
      keyValuePairs: { source: "migration" },
      custom: {
        requiredKeys: ["body", "msg_id"],
        fill: { alert: "body", title: "heading", sendId: "msg_id" },
      },
    });

    expect(setting.issues).toEqual([]);
    expect(setting.flattenRequired).toBe(true);
    expect(receiverPairs(setting, MESSAGE, "send-4")).toEqual({
      msg_id: "send-4",
      body: "Your order shipped",
      heading: "Acme",
      source: "migration",
    });
  });

  it("cites a public SDK source file for every key OneSignal and Airship require or forbid", () => {
    for (const preset of Object.values(RECEIVER_PRESETS)) {
      for (const rule of [...preset.requirements, ...preset.forbidden, ...preset.valueRules]) {
        expect(rule.sources.length).toBeGreaterThan(0);
        for (const source of rule.sources) {
          expect(source.repo).toMatch(
            /^(OneSignal\/OneSignal-Android-SDK|urbanairship\/android-library)$/,
          );
          expect(source.path).toMatch(/\.(kt|java)$/);
          expect(source.release).toMatch(/^\d+\.\d+\.\d+$/);
        }
      }
    }
  });
});

describe("validating a receiver setting", () => {
  const issuesOf = (input: Partial<ReceiverSettingInput>): readonly ReceiverIssue[] =>
    resolveReceiverSetting({ appId: APP_ID, receiver: "onesignal", ...input }).issues;

  it("fails when flatten is false for a receiver that reads top-level keys", () => {
    const issues = issuesOf({ flatten: false, keyValuePairs: { screen: "orders" } });

    expect(issues).toEqual([
      {
        code: "FLATTEN_REQUIRED",
        severity: "error",
        message:
          'flatten is false, but the OneSignal receiver reads "custom", "alert", "title", ' +
          '"screen" at the top level of the FCM data map: unflattened, Braze sends them inside ' +
          '"extra", where the receiver never looks, and no push is shown; set flatten: true and ' +
          `ask Braze to switch flattening on for app ${APP_ID}`,
      },
    ]);
  });

  it("fails on keys Braze writes itself", () => {
    const issues = issuesOf({ keyValuePairs: { t: "x", extra: "y", ok: "z" } });

    expect(issues.map((i) => [i.code, i.key])).toEqual([
      ["KEY_RESERVED_BY_BRAZE", "t"],
      ["KEY_RESERVED_BY_BRAZE", "extra"],
    ]);
    expect(issues[0].message).toBe(
      'key "t" is one Braze writes itself (_ab, t, a, cid, uri, extra): flattened, Braze\'s ' +
        "value wins and the pair is lost; rename the key",
    );
  });

  it("fails on keys FCM reserves", () => {
    const issues = issuesOf({
      keyValuePairs: { from: "x", "google.c.a.e": "1", "gcm.n.e": "1", googled: "fine" },
    });

    expect(issues.map((i) => [i.code, i.key])).toEqual([
      ["KEY_RESERVED_BY_FCM", "from"],
      ["KEY_RESERVED_BY_FCM", "google.c.a.e"],
      ["KEY_RESERVED_BY_FCM", "gcm.n.e"],
    ]);
  });

  it("fails on a pair the preset fills at each send, and keeps the preset's value", () => {
    const setting = resolveReceiverSetting({
      appId: APP_ID,
      receiver: "onesignal",
      keyValuePairs: { alert: "fixed text" },
    });

    expect(setting.issues.map((i) => [i.code, i.key])).toEqual([["KEY_FILLED_BY_PRESET", "alert"]]);
    expect(receiverPairs(setting, MESSAGE, "s").alert).toBe("Your order shipped");
  });

  it("fails on Airship's APID, which hides the push on every other device", () => {
    const issues = resolveReceiverSetting({
      appId: APP_ID,
      receiver: "airship",
      keyValuePairs: { "com.urbanairship.push.APID": "abc" },
    }).issues;

    expect(issues).toEqual([
      {
        code: "KEY_FORBIDDEN",
        severity: "error",
        key: "com.urbanairship.push.APID",
        message:
          'key "com.urbanairship.push.APID" must not be sent: the Airship receiver hides a push ' +
          "whose APID is not the device's own channel id; remove the pair",
      },
    ]);
  });

  it("fails on OneSignal's message_type and on a pri that is not a whole number", () => {
    const issues = issuesOf({ keyValuePairs: { message_type: "x", pri: "high" } });

    expect(issues.map((i) => [i.code, i.key])).toEqual([
      ["KEY_FORBIDDEN", "message_type"],
      ["VALUE_REJECTED_BY_RECEIVER", "pri"],
    ]);
    expect(issuesOf({ keyValuePairs: { pri: "10" } })).toEqual([]);
  });

  it("fails on values that are not strings, showing the string to write instead", () => {
    const issues = issuesOf({ keyValuePairs: { count: 3, nested: { x: 1 }, none: null } });

    expect(issues.map((i) => [i.code, i.key])).toEqual([
      ["VALUE_NOT_STRING", "count"],
      ["VALUE_NOT_STRING", "nested"],
      ["VALUE_NOT_STRING", "none"],
    ]);
    expect(issues[1].message).toContain('the value of "nested" is an object, not a string');
    expect(issues[1].message).toContain('e.g. "{\\"x\\":1}"');
  });

  it("fails on an empty key, on custom options given to a fixed preset, on undeclared keys", () => {
    expect(issuesOf({ keyValuePairs: { "": "x" } }).map((i) => i.code)).toEqual(["KEY_EMPTY"]);
    expect(issuesOf({ custom: { requiredKeys: ["x"] } }).map((i) => i.code)).toEqual([
      "RECEIVER_OPTIONS_UNEXPECTED",
    ]);
    const custom = resolveReceiverSetting({
      appId: APP_ID,
      receiver: "custom",
      custom: { requiredKeys: ["kind"] },
    });
    expect(custom.issues.map((i) => [i.code, i.key])).toEqual([
      ["REQUIRED_KEY_UNDECLARED", "kind"],
    ]);
  });

  it("refuses an unknown receiver and an empty app_id outright", () => {
    expect(() => resolveReceiverSetting({ appId: APP_ID, receiver: "braze" })).toThrow(
      expect.objectContaining({
        code: "RECEIVER_SETTING_INVALID",
        message:
          'receiver "braze" is not a preset: use one of onesignal, airship, custom ("custom" ' +
          "for a receiver your team wrote)",
      }),
    );
    expect(() => resolveReceiverSetting({ appId: " ", receiver: "airship" })).toThrow(
      expect.objectContaining({ code: "RECEIVER_SETTING_INVALID" }),
    );
  });

  it("assertValidSetting lists every error and passes a valid setting", () => {
    const bad = resolveReceiverSetting({
      appId: APP_ID,
      receiver: "onesignal",
      flatten: false,
      keyValuePairs: { a: "x" },
    });

    let caught: any;
    try {
      assertValidSetting(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught.code).toBe("RECEIVER_SETTING_INVALID");
    expect(caught.issues.map((i: ReceiverIssue) => i.code)).toEqual([
      "KEY_RESERVED_BY_BRAZE",
      "FLATTEN_REQUIRED",
    ]);
    expect(caught.message.split("\n")[0]).toBe(
      `the OneSignal receiver setting of app ${APP_ID} has 2 error(s):`,
    );
    expect(() =>
      assertValidSetting(resolveReceiverSetting({ appId: APP_ID, receiver: "airship" })),
    ).not.toThrow();
  });
});
