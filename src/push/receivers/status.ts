/**
 * Where a declared receiver setting stands, for plan and drift. Flattening is switched per
 * Android app by Braze staff on request; Braze has no API that reads or writes it. So against
 * real Braze a setting is either waiting for Braze's confirmation or, once confirmed, not
 * checkable, and the report says so plainly. The emulator holds the switch itself (its admin
 * API does what Braze staff do), so there it is checked and applied.
 */
import type { ReceiverId } from "./presets";
import {
  quoteList,
  receiverKeys,
  type FlattenConfirmation,
  type ResolvedReceiverSetting,
} from "./resolve";

/** The states of a receiver setting. */
export const RECEIVER_SETTING_STATES = [
  /** The emulator's app is flattened as declared. */
  "applied",
  /** The emulator's app is not flattened as declared; applying switches it. */
  "not_applied",
  /** Real Braze: Braze staff must switch flattening; the request text says what to ask. */
  "pending_confirmation",
  /** Real Braze: nothing to ask, or Braze confirmed; no API can read it back to check. */
  "not_checkable",
] as const;

/** One state of a receiver setting. */
export type ReceiverSettingState = (typeof RECEIVER_SETTING_STATES)[number];

/** Where the setting is checked: the emulator (with its app's flattening now) or real Braze. */
export type ReceiverTarget =
  { readonly kind: "emulator"; readonly appFlatten: boolean } | { readonly kind: "braze" };

/** Names that make the request text easier for Braze staff to act on. */
export interface RequestTextOptions {
  /**
   * The app's name in the Braze dashboard.
   * @default none - the app is named by app_id only
   */
  readonly appName?: string;
  /**
   * The workspace's name in the Braze dashboard.
   * @default none
   */
  readonly workspace?: string;
}

/** Where a declared receiver setting stands. */
export interface ReceiverSettingStatus {
  readonly appId: string;
  readonly receiver: ReceiverId;
  readonly provider: string;
  /** The declared flattening. */
  readonly flatten: boolean;
  readonly state: ReceiverSettingState;
  /** One plain paragraph: what was checked, what it means, what to do. */
  readonly detail: string;
  /** For `pending_confirmation`: the request to send to Braze. */
  readonly requestText?: string;
  /** The confirmation recorded in the declaration, when there is one. */
  readonly confirmation?: FlattenConfirmation;
}

/**
 * The state of a declared setting against a target. Pure: the caller reads the emulator's
 * app first (see `checkReceiverSetting`).
 */
export function receiverSettingStatus(
  setting: ResolvedReceiverSetting,
  target: ReceiverTarget,
  options: RequestTextOptions = {},
): ReceiverSettingStatus {
  const base = {
    appId: setting.appId,
    receiver: setting.receiver,
    provider: setting.preset.provider,
    flatten: setting.flatten,
    ...(setting.confirmation === undefined ? {} : { confirmation: setting.confirmation }),
  };
  const declared = setting.flatten ? "flattened" : "not flattened";

  if (target.kind === "emulator") {
    if (target.appFlatten === setting.flatten) {
      return {
        ...base,
        state: "applied",
        detail: `the emulator's app ${setting.appId} is ${declared}, as declared`,
      };
    }
    return {
      ...base,
      state: "not_applied",
      detail:
        `the emulator's app ${setting.appId} is ${target.appFlatten ? "flattened" : "not flattened"}, ` +
        `the declaration says ${declared}: apply switches it through the emulator's admin API`,
    };
  }

  // real braze: the recorded confirmation counts only for the value it confirmed
  const confirmed = setting.confirmation?.flatten === setting.flatten;
  if (confirmed) {
    return {
      ...base,
      state: "not_checkable",
      detail:
        `Braze confirmed app ${setting.appId} ${declared} (reference ` +
        `${setting.confirmation!.reference}); Braze has no API that reads an app's flattening, ` +
        `so this cannot be checked: send a test push to a test device to see it`,
    };
  }
  const wasOn = setting.confirmation?.flatten === true;
  if (setting.flatten || wasOn) {
    return {
      ...base,
      state: "pending_confirmation",
      detail:
        `only Braze staff can switch flattening ${setting.flatten ? "on" : "off"} for app ` +
        `${setting.appId}: send them the request text, then record their answer in the ` +
        `declaration as confirmation { reference, flatten: ${setting.flatten} }`,
      requestText: flattenRequestText(setting, options),
    };
  }
  return {
    ...base,
    state: "not_checkable",
    detail:
      `app ${setting.appId} is declared not flattened, which is Braze's default; Braze has no ` +
      `API that reads an app's flattening, so this cannot be checked (if the app was ever ` +
      `flattened, ask Braze to switch it off)`,
  };
}

/**
 * The request to send to Braze (support or the customer success manager) to switch an app's
 * flattening to the declared value, naming the app and the keys.
 */
export function flattenRequestText(
  setting: ResolvedReceiverSetting,
  options: RequestTextOptions = {},
): string {
  const app =
    options.appName === undefined
      ? `the Android app with app_id ${setting.appId}`
      : `the Android app "${options.appName}" (app_id ${setting.appId})`;
  const workspace =
    options.workspace === undefined ? "" : ` in the workspace "${options.workspace}"`;
  const keys = quoteList(receiverKeys(setting));
  const onOff = setting.flatten ? "on" : "off";

  const lines = [
    `Subject: switch ${onOff} key-value pair flattening for app_id ${setting.appId}`,
    "",
  ];
  lines.push("Hello,", "");
  lines.push(
    `Please switch ${onOff} the flattening of Android push key-value pairs for ${app}${workspace}.`,
  );
  lines.push("");
  if (setting.flatten) {
    lines.push(
      `Why: the app still contains the ${setting.preset.provider} SDK, and until our release ` +
        `with the Braze SDK reaches every device, pushes Braze sends to the tokens we imported ` +
        `are shown by the ${setting.preset.provider} receiver. It reads these keys at the top ` +
        `level of the FCM data, not inside "extra": ${keys}.`,
    );
  } else {
    lines.push(
      `Why: the app no longer relies on the ${setting.preset.provider} receiver, and the ` +
        `Braze SDK reads the pairs inside "extra". Keys we sent flattened until now: ${keys}.`,
    );
  }
  lines.push("");
  lines.push(
    "Please reply once it is done; we record your answer as the reference of this setting.",
  );
  return `${lines.join("\n")}\n`;
}
