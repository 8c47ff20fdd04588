import {
  flattenRequestText,
  receiverSettingStatus,
  resolveReceiverSetting,
  type ReceiverSettingInput,
} from "../../src/push/receivers";

const APP_ID = "5e0ab7c2-0000-4000-8000-000000000002";
const BRAZE = { kind: "braze" } as const;

const declare = (input: Omit<ReceiverSettingInput, "appId">) =>
  resolveReceiverSetting({ appId: APP_ID, ...input });

describe("receiver setting status against real Braze", () => {
  it("is pending confirmation while flattening waits for Braze staff, with the request text", () => {
    const setting = declare({ receiver: "onesignal", keyValuePairs: { screen: "orders" } });

    const status = receiverSettingStatus(setting, BRAZE);

    expect(status).toEqual({
      appId: APP_ID,
      receiver: "onesignal",
      provider: "OneSignal",
      flatten: true,
      state: "pending_confirmation",
      detail:
        `only Braze staff can switch flattening on for app ${APP_ID}: send them the request ` +
        "text, then record their answer in the declaration as confirmation { reference, " +
        "flatten: true }",
      requestText: flattenRequestText(setting),
    });
  });

  it("names the app, the workspace and every key in the request text", () => {
    const setting = declare({ receiver: "airship", keyValuePairs: { screen: "orders" } });

    const text = flattenRequestText(setting, { appName: "Acme Android", workspace: "Acme Prod" });

    expect(text.split("\n")[0]).toBe(
      `Subject: switch on key-value pair flattening for app_id ${APP_ID}`,
    );
    expect(text).toContain(
      `for the Android app "Acme Android" (app_id ${APP_ID}) in the workspace "Acme Prod".`,
    );
    expect(text).toContain("shown by the Airship receiver");
    expect(text).toContain(
      '"com.urbanairship.push.CANONICAL_PUSH_ID", "com.urbanairship.push.ALERT", ' +
        '"com.urbanairship.title", "com.urbanairship.actions", "screen".',
    );
    expect(text.endsWith("reference of this setting.\n")).toBe(true);
  });

  it("is not checkable once Braze confirmed, and says so with the reference", () => {
    const setting = declare({
      receiver: "onesignal",
      confirmation: { reference: "BRZ-1234", flatten: true },
    });

    const status = receiverSettingStatus(setting, BRAZE);

    expect(status.state).toBe("not_checkable");
    expect(status.requestText).toBeUndefined();
    expect(status.confirmation).toEqual({ reference: "BRZ-1234", flatten: true });
    expect(status.detail).toBe(
      `Braze confirmed app ${APP_ID} flattened (reference BRZ-1234); Braze has no API that ` +
        "reads an app's flattening, so this cannot be checked: send a test push to a test " +
        "device to see it",
    );
  });

  it("is pending again when the declaration turns flattening off after Braze confirmed it on", () => {
    const setting = declare({
      receiver: "custom",
      flatten: false,
      confirmation: { reference: "BRZ-1234", flatten: true },
    });

    const status = receiverSettingStatus(setting, BRAZE);

    expect(status.state).toBe("pending_confirmation");
    expect(status.detail).toContain("only Braze staff can switch flattening off");
    expect(status.requestText).toContain("Please switch off the flattening");
    expect(status.requestText?.split("\n")[0]).toBe(
      `Subject: switch off key-value pair flattening for app_id ${APP_ID}`,
    );
  });

  it("is not checkable when declared not flattened, Braze's default, and says why", () => {
    const plain = receiverSettingStatus(declare({ receiver: "custom" }), BRAZE);
    const confirmedOff = receiverSettingStatus(
      declare({ receiver: "custom", confirmation: { reference: "BRZ-9", flatten: false } }),
      BRAZE,
    );

    expect(plain.state).toBe("not_checkable");
    expect(plain.detail).toContain("Braze's default");
    expect(plain.detail).toContain("cannot be checked");
    expect(confirmedOff.state).toBe("not_checkable");
    expect(confirmedOff.detail).toContain("reference BRZ-9");
  });

  it("is pending when the recorded confirmation is for the other value", () => {
    const setting = declare({
      receiver: "airship",
      confirmation: { reference: "BRZ-9", flatten: false },
    });

    expect(receiverSettingStatus(setting, BRAZE).state).toBe("pending_confirmation");
  });
});

describe("receiver setting status against the emulator", () => {
  it("is applied when the emulator's app is flattened as declared", () => {
    const setting = declare({ receiver: "onesignal" });

    const status = receiverSettingStatus(setting, { kind: "emulator", appFlatten: true });

    expect(status.state).toBe("applied");
    expect(status.detail).toBe(`the emulator's app ${APP_ID} is flattened, as declared`);
  });

  it("is not applied when the emulator's app differs, whatever was confirmed", () => {
    const setting = declare({
      receiver: "onesignal",
      confirmation: { reference: "BRZ-1", flatten: true },
    });

    const status = receiverSettingStatus(setting, { kind: "emulator", appFlatten: false });

    expect(status.state).toBe("not_applied");
    expect(status.detail).toBe(
      `the emulator's app ${APP_ID} is not flattened, the declaration says flattened: apply ` +
        "switches it through the emulator's admin API",
    );
  });
});
