/**
 * What a device receives when Braze sends a push to an imported token whose app still has an
 * old provider's receiver: the exact FCM data map, flattened or not, and what in it would stop
 * the receiver or Braze. A team unit-tests its old receiver with this map.
 */
import { randomUUID } from "node:crypto";
import { androidPushBytes, renderAndroidPush } from "../render";
import type { ReceiverIssue } from "./errors";
import type { ReceiverId } from "./presets";
import { quoteList, receiverPairs, type ResolvedReceiverSetting } from "./resolve";

/** One push as the team writes it. */
export interface ReceiverMessage {
  /** The notification text (Braze's `alert`). */
  readonly alert: string;
  /** The title (Braze's `title`, required by Braze's Android push object). */
  readonly title: string;
  /**
   * Pairs for this push only, sent in `extra` after the receiver's pairs.
   * @default {}
   */
  readonly extra?: Readonly<Record<string, unknown>>;
  /**
   * A deep link: Braze writes it as `uri`; presets that know the receiver's own key repeat it.
   * @default none
   */
  readonly customUri?: string;
  /**
   * The campaign_id of the send, which Braze writes as `cid`.
   * @default none - no `cid` in the preview (the emulator writes the dispatch id)
   */
  readonly campaignId?: string;
}

/** The size limits a preview checks; each defaults to the value Braze documents now. */
export interface AndroidPayloadLimits {
  /**
   * Bytes of the alert plus the JSON of `extra`, above which /messages/send answers 400
   * `Android Push Length Exceeded` (_docs/_api/objects_filters/messaging/android_object.md).
   * @default 4000
   */
  readonly androidPushMaxBytes?: number;
  /**
   * Bytes of the delivered data map: FCM allows 4,096 and Braze keeps part of it for itself
   * (_docs/_help/help_articles/push/reducing_payload_size.md). Measured here as the map's
   * JSON, which counts a few bytes per key more than FCM does.
   * @default 3807
   */
  readonly payloadMaxBytes?: number;
}

/** The limits Braze documents now. */
export const DEFAULT_ANDROID_PAYLOAD_LIMITS: Required<AndroidPayloadLimits> = {
  androidPushMaxBytes: 4000,
  payloadMaxBytes: 3807,
};

/** Options of `previewAndroidPush`. */
export interface PreviewOptions {
  /**
   * The per-send id the preset writes (OneSignal `custom.i`, Airship canonical push id).
   * @default a new random UUID
   */
  readonly sendId?: string;
  /**
   * Preview the other flattening state than the declared one.
   * @default the setting's `flatten`
   */
  readonly flatten?: boolean;
  /** @default DEFAULT_ANDROID_PAYLOAD_LIMITS */
  readonly limits?: AndroidPayloadLimits;
}

/** Stable codes of what a preview warns about. */
export type PreviewWarningCode =
  /** Unflattened, keys the receiver needs at the top level are inside `extra`. */
  | "KEYS_HIDDEN_IN_EXTRA"
  /** A key the receiver needs is not in the data map at all, or empty. */
  | "REQUIRED_KEY_MISSING"
  /** A pair was dropped because another with the same key wins. */
  | "KEY_COLLISION"
  /** A key that makes the receiver drop or hide the push is in the data map. */
  | "FORBIDDEN_KEY_SENT"
  /** Alert plus `extra` is over `androidPushMaxBytes`: Braze refuses the send. */
  | "ANDROID_PUSH_TOO_LONG"
  /** The data map is over `payloadMaxBytes`: the push may not be delivered. */
  | "PAYLOAD_TOO_LARGE";

/** One thing a preview warns about. */
export interface PreviewWarning {
  readonly code: PreviewWarningCode;
  /** The keys concerned, when there are some. */
  readonly keys?: readonly string[];
  /** What is wrong, what follows, and the fix. */
  readonly message: string;
}

/** The `android_push` object of a /messages/send request, as Braze names its fields. */
export interface AndroidPushRequest {
  readonly alert: string;
  readonly title: string;
  readonly extra?: Readonly<Record<string, unknown>>;
  readonly custom_uri?: string;
}

/** A preview: the request, the data map a device receives, its sizes and the warnings. */
export interface AndroidPreview {
  /** Version of this shape; a new field keeps it, a changed one increments it. */
  readonly version: 1;
  readonly receiver: ReceiverId;
  readonly provider: string;
  readonly appId: string;
  /** Whether the map is rendered flattened. */
  readonly flatten: boolean;
  readonly flattenRequired: boolean;
  /** The per-send id written into the receiver's keys. */
  readonly sendId: string;
  /** The `android_push` Braze is sent. */
  readonly request: AndroidPushRequest;
  /** The campaign_id of the send, when one was given. */
  readonly campaignId?: string;
  /** The FCM data map the device receives; every value a string. */
  readonly data: Readonly<Record<string, string>>;
  readonly bytes: {
    readonly androidPush: number;
    readonly androidPushLimit: number;
    readonly payload: number;
    readonly payloadLimit: number;
  };
  /** The declared setting's own problems (see `resolveReceiverSetting`). */
  readonly issues: readonly ReceiverIssue[];
  readonly warnings: readonly PreviewWarning[];
}

/**
 * The `android_push` of one send: alert, title, the receiver's pairs and the message's own in
 * `extra`. A message pair named like a receiver pair is dropped (a `KEY_COLLISION` warning):
 * the receiver's pair is what makes the push show.
 */
export function androidPushRequest(
  setting: ResolvedReceiverSetting,
  message: ReceiverMessage,
  sendId: string,
): { request: AndroidPushRequest; warnings: PreviewWarning[] } {
  const extra = receiverPairs(setting, message, sendId);
  const warnings: PreviewWarning[] = [];
  for (const [key, value] of Object.entries(message.extra ?? {})) {
    if (key in extra) {
      warnings.push({
        code: "KEY_COLLISION",
        keys: [key],
        message:
          `the message's pair "${key}" is dropped: the ${setting.preset.provider} receiver ` +
          `setting already sends "${key}"; rename the message's key`,
      });
      continue;
    }
    extra[key] = value;
  }

  const request: AndroidPushRequest = {
    alert: message.alert,
    title: message.title,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
    ...(message.customUri === undefined ? {} : { custom_uri: message.customUri }),
  };
  return { request, warnings };
}

/** Renders what a device of the setting's app receives for a message, with the warnings. */
export function previewAndroidPush(
  setting: ResolvedReceiverSetting,
  message: ReceiverMessage,
  options: PreviewOptions = {},
): AndroidPreview {
  const sendId = options.sendId ?? randomUUID();
  const flatten = options.flatten ?? setting.flatten;
  const limits = { ...DEFAULT_ANDROID_PAYLOAD_LIMITS, ...options.limits };

  const { request, warnings } = androidPushRequest(setting, message, sendId);
  const rendered = renderAndroidPush(
    {
      alert: request.alert,
      title: request.title,
      extra: request.extra,
      customUri: request.custom_uri,
      campaignId: message.campaignId,
    },
    flatten,
  );
  const data = rendered.data;

  // a flattened pair named like one of Braze's keys loses to Braze's value
  if (rendered.collisions.length > 0) {
    warnings.push({
      code: "KEY_COLLISION",
      keys: rendered.collisions,
      message:
        `flattened, the pairs ${quoteList(rendered.collisions)} are dropped: Braze writes ` +
        `these keys itself and its values win; rename the keys`,
    });
  }
  warnings.push(...receiverWarnings(setting, data, request, flatten));

  const bytes = {
    androidPush: androidPushBytes({ alert: request.alert, extra: request.extra }),
    androidPushLimit: limits.androidPushMaxBytes,
    payload: dataMapBytes(data),
    payloadLimit: limits.payloadMaxBytes,
  };
  if (bytes.androidPush > bytes.androidPushLimit) {
    warnings.push({
      code: "ANDROID_PUSH_TOO_LONG",
      message:
        `alert plus extra is ${bytes.androidPush} bytes, over Braze's ${bytes.androidPushLimit}: ` +
        `/messages/send answers 400 "Android Push Length Exceeded"; shorten the alert or the pairs`,
    });
  }
  if (bytes.payload > bytes.payloadLimit) {
    warnings.push({
      code: "PAYLOAD_TOO_LARGE",
      message:
        `the data map is ${bytes.payload} bytes, over the ${bytes.payloadLimit} Braze can ` +
        `deliver within FCM's 4,096: the push may not arrive; shorten the alert, the title or ` +
        `the pairs`,
    });
  }

  return {
    version: 1,
    receiver: setting.receiver,
    provider: setting.preset.provider,
    appId: setting.appId,
    flatten,
    flattenRequired: setting.flattenRequired,
    sendId,
    request,
    ...(message.campaignId === undefined ? {} : { campaignId: message.campaignId }),
    data,
    bytes,
    issues: setting.issues,
    warnings,
  };
}

/** Bytes of a data map as JSON: a slight over-count of what FCM measures. */
export function dataMapBytes(data: Readonly<Record<string, string>>): number {
  return Buffer.byteLength(JSON.stringify(data), "utf8");
}

/** Warnings about what the receiver finds, or misses, at the top level of the map. */
function receiverWarnings(
  setting: ResolvedReceiverSetting,
  data: Readonly<Record<string, string>>,
  request: AndroidPushRequest,
  flatten: boolean,
): PreviewWarning[] {
  const warnings: PreviewWarning[] = [];
  const provider = setting.preset.provider;
  const extra = request.extra ?? {};

  const hidden: string[] = [];
  for (const requirement of setting.preset.requirements) {
    const found = requirement.anyOf.some(
      (key) => key in data && (!requirement.nonEmpty || data[key] !== ""),
    );
    if (found) continue;
    const inExtra = requirement.anyOf.filter((key) => key in extra);
    if (!flatten && inExtra.length > 0) {
      hidden.push(...inExtra);
      continue;
    }
    warnings.push({
      code: "REQUIRED_KEY_MISSING",
      keys: requirement.anyOf,
      message:
        `the data map has no ${requirement.nonEmpty ? "non-empty " : ""}` +
        `${requirement.anyOf.length > 1 ? "one of " : ""}${quoteList(requirement.anyOf)}: ` +
        `${requirement.rule}`,
    });
  }
  if (hidden.length > 0) {
    warnings.push({
      code: "KEYS_HIDDEN_IN_EXTRA",
      keys: hidden,
      message:
        `unflattened, ${quoteList(hidden)} are inside Braze's "extra" JSON string, where the ` +
        `${provider} receiver never looks, so it shows nothing; ask Braze to flatten app ` +
        `${setting.appId} and declare flatten: true`,
    });
  }

  for (const forbidden of setting.preset.forbidden) {
    if (!(forbidden.key in data)) continue;
    warnings.push({
      code: "FORBIDDEN_KEY_SENT",
      keys: [forbidden.key],
      message: `the data map holds "${forbidden.key}": ${forbidden.rule}; remove it`,
    });
  }
  return warnings;
}
