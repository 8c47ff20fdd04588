/**
 * How Braze turns a message into what a device receives. Shared by the emulator (its outbox)
 * and the tools that preview payloads for an old provider's Android receiver.
 *
 * Android keys are those of the Braze Android SDK's constants: `_ab` marks a Braze push, `t` is
 * the title, `a` the alert, `cid` the campaign id, `uri` the deep link, and the custom key-value
 * pairs travel as ONE JSON-encoded string under `extra`. With flattening (switched on per app by
 * Braze staff) the pairs stand at the top level of the data map instead, where an old provider's
 * receiver looks for them. See ../shared/braze-api.md, "Android payloads and flattening".
 */

/** The Android fields of a /messages/send request that shape the delivered data map. */
export interface AndroidPushInput {
  readonly alert: string;
  readonly title?: string;
  readonly extra?: Record<string, unknown>;
  readonly customUri?: string;
  readonly campaignId?: string;
}

/** The Apple fields of a /messages/send request that shape the delivered payload. */
export interface ApplePushInput {
  readonly alert: string;
  readonly title?: string;
  readonly extra?: Record<string, unknown>;
  readonly campaignId?: string;
}

/** An FCM data map as the device receives it, with what flattening had to drop. */
export interface RenderedAndroidPush {
  /** Every value is a string, as FCM data requires. */
  readonly data: Record<string, string>;
  /** Keys of `extra` that a flattened map could not hold because Braze's own key wins. */
  readonly collisions: string[];
}

/** Keys Braze itself writes into the Android data map. */
export const BRAZE_ANDROID_KEYS = ["_ab", "t", "a", "cid", "uri", "extra"] as const;

/** Keys an Apple `extra` must not use: Braze writes them itself (_docs/_api/errors.md). */
export const RESERVED_APPLE_KEYS = ["aps", "ab"] as const;

/** Renders the FCM data map Braze delivers for an Android push. */
export function renderAndroidPush(input: AndroidPushInput, flatten: boolean): RenderedAndroidPush {
  const data: Record<string, string> = { _ab: "true", a: input.alert };
  if (input.title !== undefined) data.t = input.title;
  if (input.campaignId !== undefined) data.cid = input.campaignId;
  if (input.customUri !== undefined) data.uri = input.customUri;

  const extra = input.extra ?? {};
  const collisions: string[] = [];
  if (!flatten) {
    if (Object.keys(extra).length > 0) data.extra = JSON.stringify(extra);
    return { data, collisions };
  }

  for (const [key, value] of Object.entries(extra)) {
    if (key in data || (BRAZE_ANDROID_KEYS as readonly string[]).includes(key)) {
      collisions.push(key);
      continue;
    }
    data[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { data, collisions };
}

/**
 * Bytes Braze counts against the Android limit: the alert plus the JSON of `extra`.
 * Source: _docs/_api/errors.md ("Android Push Length Exceeded").
 */
export function androidPushBytes(input: AndroidPushInput): number {
  const extra = input.extra === undefined ? "" : JSON.stringify(input.extra);
  return Buffer.byteLength(input.alert, "utf8") + Buffer.byteLength(extra, "utf8");
}

/** Renders the APNs payload Braze delivers for an iOS push: `aps`, Braze's `ab`, then `extra`. */
export function renderApplePush(input: ApplePushInput): Record<string, unknown> {
  const alert = input.title === undefined ? input.alert : { title: input.title, body: input.alert };
  const payload: Record<string, unknown> = { aps: { alert } };
  if (input.campaignId !== undefined) payload.ab = { c: input.campaignId };
  for (const [key, value] of Object.entries(input.extra ?? {})) payload[key] = value;
  return payload;
}

/**
 * Bytes of the rendered APNs payload, which Braze checks against 1,912 bytes.
 * Source: _docs/_api/errors.md ("Apple Push Length Exceeded").
 */
export function applePushBytes(input: ApplePushInput): number {
  return Buffer.byteLength(JSON.stringify(renderApplePush(input)), "utf8");
}
