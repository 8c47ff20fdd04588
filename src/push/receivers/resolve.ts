/**
 * Turns a declared Android receiver setting (preset, the team's own pairs, the flatten flag)
 * into what a send needs, and says what is wrong with it as data: each issue has a stable code
 * and a message naming the rule and the fix.
 */
import { BRAZE_ANDROID_KEYS } from "../render";
import { ReceiverError, type ReceiverIssue } from "./errors";
import {
  customPreset,
  RECEIVER_IDS,
  RECEIVER_PRESETS,
  type CustomReceiverOptions,
  type FillInput,
  type ReceiverId,
  type ReceiverPreset,
} from "./presets";

/**
 * Braze staff's confirmation that an app's flattening is switched as declared: the reference
 * the team keeps (a support ticket number, a message link) and the value Braze confirmed.
 */
export interface FlattenConfirmation {
  /** The team's reference to Braze's answer, e.g. a support ticket number. */
  readonly reference: string;
  /** The flattening Braze confirmed for the app. */
  readonly flatten: boolean;
}

/** An Android receiver setting as a team declares it. */
export interface ReceiverSettingInput {
  /** app_id of the Braze Android app whose pushes the old receiver shows. */
  readonly appId: string;
  /** The preset: `onesignal`, `airship` or `custom`. */
  readonly receiver: string;
  /**
   * The team's own pairs, sent in `extra` with every push; values must be strings, as FCM data
   * values are.
   * @default {}
   */
  readonly keyValuePairs?: Readonly<Record<string, unknown>>;
  /**
   * Whether Braze flattens this app's key-value pairs to the top level of the data map.
   * @default the preset's need - true for `onesignal` and `airship`, and for `custom` when
   *   `custom.requiredKeys` lists a key
   */
  readonly flatten?: boolean;
  /** The `custom` preset's options; refused for the other presets. */
  readonly custom?: CustomReceiverOptions;
  /**
   * Braze's confirmation of the app's flattening, once Braze staff answered the request.
   * @default none - flattening on real Braze is pending confirmation
   */
  readonly confirmation?: FlattenConfirmation;
}

/** A declared setting resolved against its preset, with its problems. */
export interface ResolvedReceiverSetting {
  readonly appId: string;
  readonly receiver: ReceiverId;
  readonly preset: ReceiverPreset;
  /** Whether Braze is to flatten this app's pairs. */
  readonly flatten: boolean;
  /** Whether the receiver can only see its keys when they are flattened. */
  readonly flattenRequired: boolean;
  /** The team's pairs as declared (a value that is not a string is an issue, kept as is). */
  readonly keyValuePairs: Readonly<Record<string, unknown>>;
  readonly confirmation?: FlattenConfirmation;
  /** Problems, errors first. */
  readonly issues: readonly ReceiverIssue[];
}

/** FCM's reserved data keys (Firebase Admin reference, `DataMessagePayload`). */
const FCM_RESERVED_KEYS = ["from"];
/** Prefixes FCM reserves: `google.` (Firebase Admin reference), `gcm.` (older GCM docs). */
const FCM_RESERVED_PREFIXES = ["google.", "gcm."];

/**
 * Resolves a declared setting against its preset. Problems come back as `issues`; call
 * `assertValidSetting` to refuse a setting with errors.
 *
 * @throws ReceiverError `RECEIVER_SETTING_INVALID` when the receiver names no preset or the
 *   app_id is empty: nothing can be resolved then
 */
export function resolveReceiverSetting(input: ReceiverSettingInput): ResolvedReceiverSetting {
  if (!(RECEIVER_IDS as readonly string[]).includes(input.receiver)) {
    const issue: ReceiverIssue = {
      code: "RECEIVER_UNKNOWN",
      severity: "error",
      message:
        `receiver "${input.receiver}" is not a preset: use one of ${RECEIVER_IDS.join(", ")}` +
        ` ("custom" for a receiver your team wrote)`,
    };
    throw new ReceiverError("RECEIVER_SETTING_INVALID", issue.message, [issue]);
  }
  if (typeof input.appId !== "string" || input.appId.trim() === "") {
    const issue: ReceiverIssue = {
      code: "APP_ID_MISSING",
      severity: "error",
      message: "the receiver setting has no appId: give the app_id of the Braze Android app",
    };
    throw new ReceiverError("RECEIVER_SETTING_INVALID", issue.message, [issue]);
  }

  const receiver = input.receiver as ReceiverId;
  const issues: ReceiverIssue[] = [];
  let preset: ReceiverPreset;
  if (receiver === "custom") {
    preset = customPreset(input.custom);
  } else {
    preset = RECEIVER_PRESETS[receiver];
    if (input.custom !== undefined) {
      issues.push({
        code: "RECEIVER_OPTIONS_UNEXPECTED",
        severity: "error",
        message:
          `"custom" options were given to the ${preset.provider} preset, which ignores them: ` +
          `remove them, or use receiver "custom"`,
      });
    }
  }

  const pairs = input.keyValuePairs ?? {};
  const flatten = input.flatten ?? preset.flattenRequired;
  issues.push(...pairIssues(preset, pairs));
  if (preset.flattenRequired && !flatten) issues.push(flattenIssue(preset, input.appId, pairs));
  issues.push(...undeclaredRequirements(preset, pairs));
  issues.sort((a, b) => Number(a.severity === "warning") - Number(b.severity === "warning"));

  return {
    appId: input.appId,
    receiver,
    preset,
    flatten,
    flattenRequired: preset.flattenRequired,
    keyValuePairs: pairs,
    ...(input.confirmation === undefined ? {} : { confirmation: input.confirmation }),
    issues,
  };
}

/**
 * Refuses a setting with errors.
 *
 * @throws ReceiverError `RECEIVER_SETTING_INVALID` with every error in `issues`, one per line
 *   of the message
 */
export function assertValidSetting(setting: ResolvedReceiverSetting): void {
  const errors = setting.issues.filter((issue) => issue.severity === "error");
  if (errors.length === 0) return;
  const lines = errors.map((issue) => `  ${issue.code}: ${issue.message}`);
  throw new ReceiverError(
    "RECEIVER_SETTING_INVALID",
    `the ${setting.preset.provider} receiver setting of app ${setting.appId} has ` +
      `${errors.length} error(s):\n${lines.join("\n")}`,
    errors,
  );
}

/**
 * The pairs of one send: what the preset fills from the message and the send id, then the
 * team's pairs. A team pair named like a filled key does not replace it (see
 * `KEY_FILLED_BY_PRESET`).
 */
export function receiverPairs(
  setting: ResolvedReceiverSetting,
  message: FillInput,
  sendId: string,
): Record<string, unknown> {
  const filled = setting.preset.fill(message, sendId);
  const pairs: Record<string, unknown> = { ...filled };
  for (const [key, value] of Object.entries(setting.keyValuePairs)) {
    if (!(key in filled)) pairs[key] = value;
  }
  return pairs;
}

/**
 * Every key the receiver needs to see: the keys the preset fills, the team's keys, and a
 * required key neither of them provides.
 */
export function receiverKeys(setting: ResolvedReceiverSetting): string[] {
  return keysOf(setting.preset, setting.keyValuePairs);
}

function keysOf(preset: ReceiverPreset, pairs: Readonly<Record<string, unknown>>): string[] {
  const keys = preset.filled.map((filled) => filled.key);
  for (const key of Object.keys(pairs)) if (!keys.includes(key)) keys.push(key);
  for (const requirement of preset.requirements) {
    if (!requirement.anyOf.some((key) => keys.includes(key))) keys.push(requirement.anyOf[0]);
  }
  return keys;
}

function pairIssues(
  preset: ReceiverPreset,
  pairs: Readonly<Record<string, unknown>>,
): ReceiverIssue[] {
  const issues: ReceiverIssue[] = [];
  const filledKeys = preset.filled.map((filled) => filled.key);
  for (const [key, value] of Object.entries(pairs)) {
    if (key.trim() === "") {
      issues.push({
        code: "KEY_EMPTY",
        severity: "error",
        key,
        message: "a key-value pair has an empty key: give every pair a name",
      });
      continue;
    }
    if ((BRAZE_ANDROID_KEYS as readonly string[]).includes(key)) {
      issues.push({
        code: "KEY_RESERVED_BY_BRAZE",
        severity: "error",
        key,
        message:
          `key "${key}" is one Braze writes itself (${BRAZE_ANDROID_KEYS.join(", ")}): ` +
          `flattened, Braze's value wins and the pair is lost; rename the key`,
      });
    }
    if (
      FCM_RESERVED_KEYS.includes(key) ||
      FCM_RESERVED_PREFIXES.some((prefix) => key.startsWith(prefix))
    ) {
      issues.push({
        code: "KEY_RESERVED_BY_FCM",
        severity: "error",
        key,
        message:
          `key "${key}" is reserved by FCM ("from" and keys starting with "google." or ` +
          `"gcm."): FCM refuses or overwrites it; rename the key`,
      });
    }
    if (filledKeys.includes(key)) {
      issues.push({
        code: "KEY_FILLED_BY_PRESET",
        severity: "error",
        key,
        message:
          `key "${key}" is filled by the ${preset.provider} preset at each send, so the ` +
          `declared value is ignored: remove the pair`,
      });
    }
    const forbidden = preset.forbidden.find((rule) => rule.key === key);
    if (forbidden) {
      issues.push({
        code: "KEY_FORBIDDEN",
        severity: "error",
        key,
        message: `key "${key}" must not be sent: ${forbidden.rule}; remove the pair`,
      });
    }
    if (typeof value !== "string") {
      issues.push({
        code: "VALUE_NOT_STRING",
        severity: "error",
        key,
        message:
          `the value of "${key}" is ${describe(value)}, not a string: FCM data values are ` +
          `strings, and Braze delivers this one differently flattened (as text) and not (as ` +
          `JSON); write it as a string, e.g. ${JSON.stringify(JSON.stringify(value) ?? "")}`,
      });
      continue;
    }
    const rule = preset.valueRules.find((valueRule) => valueRule.key === key);
    if (rule && !rule.pattern.test(value)) {
      issues.push({
        code: "VALUE_REJECTED_BY_RECEIVER",
        severity: "error",
        key,
        message: `the value of "${key}" is ${JSON.stringify(value)}: ${rule.rule}; fix the value`,
      });
    }
  }
  return issues;
}

function flattenIssue(
  preset: ReceiverPreset,
  appId: string,
  pairs: Readonly<Record<string, unknown>>,
): ReceiverIssue {
  const keys = keysOf(preset, pairs);
  return {
    code: "FLATTEN_REQUIRED",
    severity: "error",
    message:
      `flatten is false, but the ${preset.provider} receiver reads ${quoteList(keys)} at the ` +
      `top level of the FCM data map: unflattened, Braze sends them inside "extra", where the ` +
      `receiver never looks, and no push is shown; set flatten: true and ask Braze to switch ` +
      `flattening on for app ${appId}`,
  };
}

function undeclaredRequirements(
  preset: ReceiverPreset,
  pairs: Readonly<Record<string, unknown>>,
): ReceiverIssue[] {
  if (preset.id !== "custom") return [];
  const present = new Set([...preset.filled.map((filled) => filled.key), ...Object.keys(pairs)]);
  return preset.requirements
    .filter((requirement) => !requirement.anyOf.some((key) => present.has(key)))
    .map((requirement) => ({
      code: "REQUIRED_KEY_UNDECLARED" as const,
      severity: "error" as const,
      key: requirement.anyOf[0],
      message:
        `the receiver requires "${requirement.anyOf[0]}" but no pair declares it and the ` +
        `preset does not fill it: add it to keyValuePairs or to custom.fill`,
    }));
}

/** Keys in quotes, joined for a sentence. */
export function quoteList(keys: readonly string[]): string {
  return keys.map((key) => `"${key}"`).join(", ");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
