/**
 * The export layouts a migrating team actually holds: which column is which Braze field, and
 * which rows belong in an import. Facts are from ../shared/sources.md; each cites its source.
 */
import { RULES, type Finding } from "./token-rules";
import type { Platform, TokenPreset } from "./types";

/** The Braze fields a column can feed (custom attributes are named by the caller). */
export type BrazeField = "token" | "externalId" | "deviceId" | "email" | "country" | "language";

/** Reads one field of the current record by column name (any case); `undefined` when absent. */
export type FieldGetter = (name: string) => unknown;

/** What a preset says about a record before its token is checked. */
export type Verdict =
  | { readonly kind: "import" }
  | { readonly kind: "skip"; readonly reason: string }
  | { readonly kind: "refuse"; readonly finding: Finding };

/** A preset: column names by Braze field (first present wins) and a row filter. */
export interface PresetDefinition {
  readonly names: Readonly<Record<BrazeField, readonly string[]>>;
  /** Columns a CSV file must have for the preset to make sense. */
  readonly required: readonly string[];
  /** Columns whose absence changes what is imported; a note says so when a CSV lacks all. */
  readonly filterColumns: readonly string[];
  readonly filterNote?: string;
  classify(get: FieldGetter, platform: Platform): Verdict;
}

const IMPORT: Verdict = { kind: "import" };

/** A plain file the team wrote: names matched with common aliases, every row imported. */
const plain: PresetDefinition = {
  names: {
    token: [
      "token",
      "push_token",
      "device_token",
      "registration_token",
      "fcm_token",
      "apns_token",
      "identifier",
      "push_address",
    ],
    externalId: [
      "external_id",
      "externalid",
      "external_user_id",
      "user_id",
      "userid",
      "named_user_id",
    ],
    deviceId: ["device_id", "deviceid"],
    email: ["email", "email_address"],
    country: ["country"],
    language: ["language"],
  },
  required: [],
  filterColumns: [],
  classify: () => IMPORT,
};

/**
 * OneSignal's `POST /players/csv_export` (docs page "csv-export", OneSignal's generated API
 * clients) and the dashboard export. `identifier` is the push token; `external_user_id`,
 * `country` and `notification_types` are optional columns of the API export. The dashboard
 * writes only the visible columns, so names are matched, never positions.
 */
const onesignal: PresetDefinition = {
  names: {
    token: ["identifier"],
    externalId: ["external_user_id", "external_id"],
    deviceId: [],
    email: [],
    country: ["country"],
    language: ["language"],
  },
  required: ["device_type"],
  filterColumns: ["invalid_identifier", "notification_types"],
  filterNote:
    "no invalid_identifier or notification_types column: every row is taken as subscribed; " +
    "export those columns to leave unsubscribed devices out",
  classify(get, platform) {
    // device_type codes: OneSignal docs "csv-export" / player model
    const type = text(get("device_type"));
    const code = type === undefined ? NaN : Number(type);
    if (ONESIGNAL_WEB_TYPES.has(code)) {
      return refuse(`row is a OneSignal web push subscription (device_type ${type})`);
    }
    const rowPlatform = code === 0 ? "ios" : code === 1 ? "android" : undefined;
    if (rowPlatform === undefined) {
      const name = ONESIGNAL_OTHER_TYPES.get(code) ?? "unknown";
      return { kind: "skip", reason: `OneSignal device_type ${type ?? "missing"} (${name})` };
    }
    if (rowPlatform !== platform) return { kind: "skip", reason: `${rowPlatform} rows` };

    // `invalid_identifier` t = unsubscribed; `notification_types` > 0 = subscribed, -2
    // unsubscribed, -10 uninstalled, -31 disabled by API (OneSignal docs "subscriptions")
    if (isTrue(get("invalid_identifier"))) {
      return { kind: "skip", reason: "unsubscribed (invalid_identifier t)" };
    }
    const types = text(get("notification_types"));
    if (types !== undefined && Number(types) <= 0) {
      return { kind: "skip", reason: "unsubscribed (notification_types <= 0)" };
    }
    return IMPORT;
  },
};

/** OneSignal device_type codes for web push: Chrome 5, Safari 7 and 17, Firefox 8. */
const ONESIGNAL_WEB_TYPES = new Set([5, 7, 8, 17]);
/** Other OneSignal device_type codes, which are not APNs/FCM push. */
const ONESIGNAL_OTHER_TYPES = new Map([
  [2, "Amazon ADM"],
  [11, "email"],
  [13, "Huawei"],
  [14, "SMS"],
]);

/**
 * Airship channel objects as `GET /api/channels` returns them (Airship API docs "Channels";
 * urbanairship python-library and java-library channel models): `push_address` is the APNs or
 * FCM token, `named_user_id` the user, and only `installed && opt_in` channels can be reached.
 * iOS `push_address` values come upper-case in the libraries' fixtures; APNs tokens are
 * lower-cased by validation.
 */
const airship: PresetDefinition = {
  names: {
    token: ["push_address"],
    externalId: ["named_user_id"],
    deviceId: [],
    email: [],
    country: [],
    language: [],
  },
  required: ["device_type"],
  filterColumns: [],
  classify(get, platform) {
    const type = text(get("device_type"))?.toLowerCase();
    if (type === "web") return refuse("row is an Airship web channel");
    if (type !== "ios" && type !== "android") {
      return { kind: "skip", reason: `Airship device_type ${type ?? "missing"}` };
    }
    if (type !== platform) return { kind: "skip", reason: `${type} rows` };
    if (!isTrue(get("installed"))) return { kind: "skip", reason: "uninstalled (installed false)" };
    if (!isTrue(get("opt_in"))) return { kind: "skip", reason: "not opted in (opt_in false)" };
    return IMPORT;
  },
};

/** The presets by name. */
export const PRESETS: Readonly<Record<TokenPreset, PresetDefinition>> = {
  plain,
  onesignal,
  airship,
};

/** A cell or field as trimmed text; `undefined` when absent or empty. Objects become JSON. */
export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = typeof value === "object" ? JSON.stringify(value) : String(value).trim();
  return s === "" ? undefined : s;
}

function isTrue(value: unknown): boolean {
  if (value === true) return true;
  const s = text(value)?.toLowerCase();
  return s === "t" || s === "true" || s === "1";
}

function refuse(problem: string): Verdict {
  const { rule, fix, severity } = RULES.WEB_PUSH_NOT_IMPORTABLE;
  return {
    kind: "refuse",
    finding: { code: "WEB_PUSH_NOT_IMPORTABLE", severity, problem, rule, fix },
  };
}
