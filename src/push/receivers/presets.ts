/**
 * What an old provider's Android receiver needs in the FCM data map before it shows a push,
 * for the providers teams migrate from. Until the Braze SDK ships in the app, a push Braze
 * sends to an imported token is shown by that receiver or by nobody.
 *
 * Every key below was read in the provider's public SDK source; each comment names the
 * repository, the release and the file. The facts are summarised in ../shared/sources.md
 * ("What an old Android receiver needs"). No SDK code is copied here.
 */

/** Ids of the receiver presets. */
export const RECEIVER_IDS = ["onesignal", "airship", "custom"] as const;

/** One receiver preset id: `onesignal`, `airship` or `custom`. */
export type ReceiverId = (typeof RECEIVER_IDS)[number];

/** Where a fact about a receiver was read: a public repository, a release and a file. */
export interface SourceRef {
  /** `owner/name` on GitHub. */
  readonly repo: string;
  /** The release tag read. */
  readonly release: string;
  /** The file inside the repository. */
  readonly path: string;
}

/** A key (or one of a few keys) the receiver must find at the top level of the data map. */
export interface ReceiverRequirement {
  /** The receiver is satisfied when any one of these keys is present. */
  readonly anyOf: readonly string[];
  /** Whether an empty value counts as missing. */
  readonly nonEmpty: boolean;
  /** What the receiver does without it, in the user's terms. */
  readonly rule: string;
  readonly sources: readonly SourceRef[];
}

/** A key that must not reach the receiver, because it changes what the receiver does. */
export interface ForbiddenKey {
  readonly key: string;
  readonly rule: string;
  readonly sources: readonly SourceRef[];
}

/** A key whose value the receiver parses, so only some values are safe. */
export interface ValueRule {
  readonly key: string;
  readonly pattern: RegExp;
  readonly rule: string;
  readonly sources: readonly SourceRef[];
}

/** Where a key the preset fills takes its value from at each send. */
export type FillSource = "alert" | "title" | "sendId" | "customUri";

/** A key the preset writes at each send, and from what. */
export interface FilledKey {
  readonly key: string;
  readonly from: FillSource;
  /** How the value is made, e.g. `{"i": <send id>}`. */
  readonly shape: string;
}

/** The message fields a preset may repeat under the receiver's own keys. */
export interface FillInput {
  readonly alert: string;
  readonly title: string;
  readonly customUri?: string;
}

/** What an old provider's receiver needs, and how a preset meets it. */
export interface ReceiverPreset {
  readonly id: ReceiverId;
  /** The provider's name as a user knows it. */
  readonly provider: string;
  /**
   * Whether the receiver reads its keys at the top level of the data map, so that Braze must
   * flatten the key-value pairs of this app.
   */
  readonly flattenRequired: boolean;
  readonly requirements: readonly ReceiverRequirement[];
  readonly forbidden: readonly ForbiddenKey[];
  readonly valueRules: readonly ValueRule[];
  readonly filled: readonly FilledKey[];
  /**
   * The pairs the preset writes for one send. `sendId` must be new at every send: both
   * receivers drop a push whose id they have seen.
   */
  fill(message: FillInput, sendId: string): Record<string, string>;
}

const OS = "OneSignal/OneSignal-Android-SDK";
const OS5 = "5.9.9";
const OS4 = "4.8.12";
const OS5_DIR = "OneSignalSDK/onesignal/notifications/src/main/java/com/onesignal/notifications";
const OS4_DIR = "OneSignalSDK/onesignal/src/main/java/com/onesignal";

const oneSignalSources = {
  // isOneSignalBundle: a bundle is OneSignal's only when `custom` parses as JSON holding `i`
  formatHelper: [
    { repo: OS, release: OS5, path: `${OS5_DIR}/internal/common/NotificationFormatHelper.kt` },
    { repo: OS, release: OS4, path: `${OS4_DIR}/OSNotificationFormatHelper.java` },
  ],
  // shouldDisplayNotification: nothing is shown without a non-empty `alert`;
  // isDuplicateNotification: an `i` already stored is dropped
  generation: [
    {
      repo: OS,
      release: OS5,
      path: `${OS5_DIR}/internal/generation/impl/NotificationGenerationProcessor.kt`,
    },
    { repo: OS, release: OS4, path: `${OS4_DIR}/NotificationBundleProcessor.java` },
  ],
  // getTitle: `title`, else the app's label
  display: [
    {
      repo: OS,
      release: OS5,
      path: `${OS5_DIR}/internal/display/impl/NotificationDisplayBuilder.kt`,
    },
  ],
  // processBundleFromReceiver parses `pri` with toInt(): a non-number throws
  bundle: [
    {
      repo: OS,
      release: OS5,
      path: `${OS5_DIR}/internal/bundle/impl/NotificationBundleProcessor.kt`,
    },
  ],
  // isFCMMessage: a `message_type` other than "gcm" makes the receiver ignore the push
  receiver: [{ repo: OS, release: OS5, path: `${OS5_DIR}/receivers/FCMBroadcastReceiver.kt` }],
  // `custom.u` is the launch URL opened on tap
  open: [
    {
      repo: OS,
      release: OS5,
      path: `${OS5_DIR}/internal/common/OSNotificationOpenBehaviorFromPushPayload.kt`,
    },
  ],
} as const;

/**
 * OneSignal (SDK 4.x and 5.x): `custom` is a JSON string whose `i` is the notification id,
 * `alert` the body, `title` the title.
 */
const onesignal: ReceiverPreset = {
  id: "onesignal",
  provider: "OneSignal",
  flattenRequired: true,
  requirements: [
    {
      anyOf: ["custom"],
      nonEmpty: true,
      rule: 'the OneSignal receiver ignores a push without a "custom" JSON string holding "i"',
      sources: oneSignalSources.formatHelper,
    },
    {
      anyOf: ["alert"],
      nonEmpty: true,
      rule: 'the OneSignal receiver shows nothing when "alert" is missing or empty',
      sources: oneSignalSources.generation,
    },
  ],
  forbidden: [
    {
      key: "message_type",
      rule: 'the OneSignal receiver ignores a push whose "message_type" is not "gcm"',
      sources: oneSignalSources.receiver,
    },
  ],
  valueRules: [
    {
      key: "pri",
      pattern: /^-?\d+$/,
      rule: 'the OneSignal receiver parses "pri" as a whole number and fails on anything else',
      sources: oneSignalSources.bundle,
    },
  ],
  filled: [
    { key: "custom", from: "sendId", shape: '{"i": <send id>} plus "u": <custom_uri> when set' },
    { key: "alert", from: "alert", shape: "the message's alert" },
    { key: "title", from: "title", shape: "the message's title" },
  ],
  fill(message, sendId) {
    // `i` must differ at every send: the SDK stores ids and drops a repeat
    const custom: Record<string, string> = { i: sendId };
    if (message.customUri !== undefined) custom.u = message.customUri;
    return { custom: JSON.stringify(custom), alert: message.alert, title: message.title };
  },
};

const UA = "urbanairship/android-library";
const UA20 = "20.10.0";
const UA16 = "16.11.2";
const UA_DIR = "urbanairship-core/src/main/java/com/urbanairship";

const airshipSources = {
  // isAirshipPush: PUSH_ID (send id), CANONICAL_PUSH_ID or metadata must be present;
  // isChannelIdNullOrMatching: an APID other than the device's channel id hides the push
  message: [
    { repo: UA, release: UA20, path: `${UA_DIR}/push/PushMessage.kt` },
    { repo: UA, release: UA16, path: `${UA_DIR}/push/PushMessage.java` },
  ],
  // run: non-Airship pushes are ignored; a canonical id seen before is dropped
  incoming: [{ repo: UA, release: UA20, path: `${UA_DIR}/push/IncomingPushRunnable.kt` }],
  // onCreateNotification: an empty ALERT cancels the notification; title from com.urbanairship.title
  provider: [
    {
      repo: UA,
      release: UA20,
      path: `${UA_DIR}/push/notifications/AirshipNotificationProvider.kt`,
    },
  ],
  // the deep link action's registered name is "^d"
  deepLink: [{ repo: UA, release: UA20, path: `${UA_DIR}/actions/DeepLinkAction.kt` }],
} as const;

/** Airship key names, from PushMessage.kt (urbanairship/android-library 20.10.0). */
const UA_KEYS = {
  sendId: "com.urbanairship.push.PUSH_ID",
  canonicalId: "com.urbanairship.push.CANONICAL_PUSH_ID",
  metadata: "com.urbanairship.metadata",
  alert: "com.urbanairship.push.ALERT",
  title: "com.urbanairship.title",
  actions: "com.urbanairship.actions",
  apid: "com.urbanairship.push.APID",
} as const;

/**
 * Airship (android-library 16.x to 20.x): one of the push id keys marks the push as Airship's,
 * `com.urbanairship.push.ALERT` is the body, `com.urbanairship.title` the title.
 */
const airship: ReceiverPreset = {
  id: "airship",
  provider: "Airship",
  flattenRequired: true,
  requirements: [
    {
      anyOf: [UA_KEYS.sendId, UA_KEYS.canonicalId, UA_KEYS.metadata],
      nonEmpty: false,
      rule: "the Airship receiver ignores a push without a push id or metadata key",
      sources: [...airshipSources.message, ...airshipSources.incoming],
    },
    {
      anyOf: [UA_KEYS.alert],
      nonEmpty: true,
      rule: `the Airship receiver shows nothing when "${UA_KEYS.alert}" is missing or empty`,
      sources: airshipSources.provider,
    },
  ],
  forbidden: [
    {
      key: UA_KEYS.apid,
      rule: "the Airship receiver hides a push whose APID is not the device's own channel id",
      sources: [...airshipSources.message, ...airshipSources.incoming],
    },
  ],
  valueRules: [],
  filled: [
    { key: UA_KEYS.canonicalId, from: "sendId", shape: "<send id>" },
    { key: UA_KEYS.alert, from: "alert", shape: "the message's alert" },
    { key: UA_KEYS.title, from: "title", shape: "the message's title" },
    { key: UA_KEYS.actions, from: "customUri", shape: '{"^d": <custom_uri>}, only when set' },
  ],
  fill(message, sendId) {
    // the canonical id rather than PUSH_ID: PUSH_ID is reported to Airship's analytics as a
    // send of theirs, while a repeated canonical id is dropped, which guards against doubles
    const pairs: Record<string, string> = {
      [UA_KEYS.canonicalId]: sendId,
      [UA_KEYS.alert]: message.alert,
      [UA_KEYS.title]: message.title,
    };
    if (message.customUri !== undefined) {
      pairs[UA_KEYS.actions] = JSON.stringify({ "^d": message.customUri });
    }
    return pairs;
  },
};

/** Options of the `custom` preset: a receiver the team wrote (plain FCM, in-house sender). */
export interface CustomReceiverOptions {
  /**
   * Keys the receiver reads at the top level of the data map. Any key listed here makes
   * flattening required.
   * @default [] - the receiver reads nothing at the top level (for example it parses `extra`)
   */
  readonly requiredKeys?: readonly string[];
  /**
   * Keys the preset fills at each send from the message: the alert, the title, a new send id.
   * @default {} - nothing is filled
   */
  readonly fill?: { readonly alert?: string; readonly title?: string; readonly sendId?: string };
}

/** The `custom` preset for a receiver the team wrote; its rules are the team's own. */
export function customPreset(options: CustomReceiverOptions = {}): ReceiverPreset {
  const requiredKeys = [...(options.requiredKeys ?? [])];
  const fillKeys = options.fill ?? {};
  const filled: FilledKey[] = [];
  if (fillKeys.sendId !== undefined) {
    filled.push({ key: fillKeys.sendId, from: "sendId", shape: "<send id>" });
  }
  if (fillKeys.alert !== undefined) {
    filled.push({ key: fillKeys.alert, from: "alert", shape: "the message's alert" });
  }
  if (fillKeys.title !== undefined) {
    filled.push({ key: fillKeys.title, from: "title", shape: "the message's title" });
  }

  return {
    id: "custom",
    provider: "custom",
    flattenRequired: requiredKeys.length > 0,
    requirements: requiredKeys.map((key) => ({
      anyOf: [key],
      nonEmpty: false,
      rule: `the team's receiver reads "${key}" at the top level of the data map`,
      sources: [],
    })),
    forbidden: [],
    valueRules: [],
    filled,
    fill(message, sendId) {
      const pairs: Record<string, string> = {};
      for (const { key, from } of filled) {
        if (from === "sendId") pairs[key] = sendId;
        else if (from === "alert") pairs[key] = message.alert;
        else if (from === "title") pairs[key] = message.title;
      }
      return pairs;
    },
  };
}

/** The fixed presets by id (`custom` is made by `customPreset`). */
export const RECEIVER_PRESETS: Readonly<Record<Exclude<ReceiverId, "custom">, ReceiverPreset>> = {
  onesignal,
  airship,
};

/**
 * A Braze Liquid tag for the per-send id of a campaign composed in the Braze dashboard: it
 * renders the dispatch id (Braze docs: "Dispatch ID behavior"; Liquid tags may be used in
 * key-value pairs per "attribute name and id across sources"). Braze says one dispatch id may
 * be shared by the users of one send, which is harmless as the receivers drop a repeat per
 * device only. Not checked here: that two dispatches to one device never share an id.
 */
export const PER_DISPATCH_ID_LIQUID = "{{campaign.${dispatch_id}}}";
