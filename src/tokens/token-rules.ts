/**
 * The rules a token and its row must meet before anything is sent to Braze. Braze only checks
 * that a token is a string (../shared/braze-api.md, "Token shapes"), so a malformed token would
 * be accepted and then never reach a device: the shape checks are ours.
 */
import { lastSix } from "./errors";
import type { ImportMode, Platform, TokenIssue, TokenIssueCode } from "./types";

/** A broken rule before the file and line are known. */
export type Finding = Omit<TokenIssue, "file" | "line">;

/** A token that passed, normalised, with a warning when it passed with one. */
export type TokenCheck =
  | { readonly ok: true; readonly token: string; readonly warning?: Finding }
  | { readonly ok: false; readonly finding: Finding };

/**
 * FCM registration tokens are opaque; observed ones are 140-200+ characters and reports go up
 * to 350 (sources.md, "Token shapes"). 100 leaves room below the shortest seen while catching
 * truncated values and instance ids; 4,096 is the whole FCM payload size, which no token can
 * exceed. Both are our bounds, not documented ones.
 */
export const FCM_MIN_LENGTH = 100;
/** See {@link FCM_MIN_LENGTH}. */
export const FCM_MAX_LENGTH = 4096;
/** Braze's `BAD_DEVICE_ID` rule: device_id must be 8-255 bytes (braze-api.md). */
export const DEVICE_ID_BYTES = { min: 8, max: 255 } as const;
/** Braze's `EXTERNAL_USER_ID_TOO_LARGE` rule: external_id at most 987 bytes (braze-api.md). */
export const EXTERNAL_ID_MAX_BYTES = 987;

const HEX = /^[0-9a-f]*$/;
const FCM_CHARSET = /^[A-Za-z0-9_:-]+$/;
// Firebase Installation IDs: 22 characters, first one c-f (sources.md, "Token shapes")
const INSTALLATION_ID = /^[cdef][\w-]{21}$/;
const EXPO = /^Expo(nent)?PushToken\[.*\]$/;

/** Checks and normalises a token for an app of `platform`. */
export function checkToken(
  platform: Platform,
  raw: string,
  acceptInstallationIds = false,
): TokenCheck {
  const value = raw.trim();
  if (value === "") return refuse("TOKEN_MISSING", "token is empty", undefined);

  // shapes that are no APNs or FCM token at all, whatever the platform
  if (isWebPush(value))
    return refuse("WEB_PUSH_NOT_IMPORTABLE", "token is a web push subscription", value);
  if (EXPO.test(value)) return refuse("EXPO_TOKEN", "token is an Expo push token", value);

  return platform === "ios" ? checkApns(value) : checkFcm(value, acceptInstallationIds);
}

/** Checks an external_id for the import mode; `undefined` when it passes. */
export function checkExternalId(
  mode: ImportMode,
  externalId: string | undefined,
): Finding | undefined {
  if (mode === "anonymous") {
    return externalId === undefined
      ? undefined
      : finding(
          "EXTERNAL_ID_IN_ANONYMOUS",
          "row has an external_id in an anonymous import",
          undefined,
        );
  }
  if (externalId === undefined)
    return finding("EXTERNAL_ID_MISSING", "row has no external_id", undefined);
  const bytes = Buffer.byteLength(externalId);
  return bytes > EXTERNAL_ID_MAX_BYTES
    ? finding("EXTERNAL_ID_TOO_LARGE", "external_id is too long", `${bytes} bytes`)
    : undefined;
}

/** Checks a device_id's size; `undefined` when it passes. */
export function checkDeviceId(deviceId: string | undefined): Finding | undefined {
  if (deviceId === undefined) return undefined;
  const bytes = Buffer.byteLength(deviceId);
  if (bytes >= DEVICE_ID_BYTES.min && bytes <= DEVICE_ID_BYTES.max) return undefined;
  return finding("DEVICE_ID_LENGTH", "device_id has the wrong size", `${bytes} bytes`);
}

/** A web push subscription (`{endpoint, keys}` JSON) or its bare `https://` endpoint. */
export function isWebPush(value: string): boolean {
  return /^https?:\/\//i.test(value) || (value.startsWith("{") && value.includes('"endpoint"'));
}

function checkApns(value: string): TokenCheck {
  // Apple's NSData description wraps the hex in <> and groups it with spaces
  const token = value.replace(/[\s<>]/g, "").toLowerCase();
  if (!HEX.test(token)) {
    if (token.includes(":") || token.length >= FCM_MIN_LENGTH) {
      return refuse(
        "APNS_TOKEN_LOOKS_LIKE_FCM",
        "token looks like an FCM registration token",
        value,
      );
    }
    return refuse("APNS_NOT_HEX", "token is not hex", value);
  }
  if (token.length % 2 !== 0)
    return refuse("APNS_ODD_LENGTH", "token has an odd number of hex digits", value);

  // Apple says not to rely on the size, so another length is worth a look, not a refusal
  if (token.length !== 64) {
    return {
      ok: true,
      token,
      warning: finding(
        "APNS_UNUSUAL_LENGTH",
        `token is ${token.length} hex digits, not 64`,
        lastSix(token),
      ),
    };
  }
  return { ok: true, token };
}

function checkFcm(value: string, acceptInstallationIds: boolean): TokenCheck {
  const stripped = value.replace(/[\s<>]/g, "");
  if (stripped.length >= 32 && /^[0-9a-fA-F]+$/.test(stripped)) {
    return refuse("FCM_TOKEN_LOOKS_LIKE_APNS", "token looks like an APNs device token", value);
  }
  if (!FCM_CHARSET.test(value))
    return refuse("FCM_BAD_CHARACTERS", "token has characters FCM tokens never contain", value);

  if (INSTALLATION_ID.test(value)) {
    const found = finding(
      "FCM_INSTALLATION_ID",
      "token looks like a Firebase Installation ID",
      value,
    );
    return acceptInstallationIds
      ? { ok: true, token: value, warning: { ...found, severity: "warning" } }
      : { ok: false, finding: found };
  }
  if (value.length < FCM_MIN_LENGTH)
    return refuse("FCM_TOO_SHORT", `token is ${value.length} characters`, value);
  if (value.length > FCM_MAX_LENGTH)
    return refuse("FCM_TOO_LONG", `token is ${value.length} characters`, value);
  return { ok: true, token: value };
}

function refuse(code: TokenIssueCode, problem: string, value: string | undefined): TokenCheck {
  return {
    ok: false,
    finding: finding(code, problem, value === undefined ? undefined : lastSix(value)),
  };
}

function finding(code: TokenIssueCode, problem: string, value: string | undefined): Finding {
  const { rule, fix, severity } = RULES[code];
  return { code, severity, problem, value, rule, fix };
}

/** The rule and the fix of each code, in the user's terms. */
export const RULES: Readonly<
  Record<TokenIssueCode, { rule: string; fix: string; severity: "error" | "warning" }>
> = {
  ROW_MALFORMED: {
    rule: "every row must have the header's columns (CSV) or be one JSON object (NDJSON)",
    fix: "repair or remove the row",
    severity: "error",
  },
  TOKEN_MISSING: {
    rule: "every row needs a push token",
    fix: "remove the row or fill in its token",
    severity: "error",
  },
  WEB_PUSH_NOT_IMPORTABLE: {
    rule: "Braze cannot import web push subscriptions through the REST API",
    fix: "leave web rows out; web users re-subscribe through the Braze Web SDK",
    severity: "error",
  },
  EXPO_TOKEN: {
    rule: "Expo push tokens only work through Expo's relay and Braze cannot send to them",
    fix: "export the native APNs/FCM device tokens from the app (getDevicePushTokenAsync)",
    severity: "error",
  },
  APNS_NOT_HEX: {
    rule: "APNs device tokens are hex strings",
    fix: "export the raw device token",
    severity: "error",
  },
  APNS_ODD_LENGTH: {
    rule: "APNs device tokens are whole bytes written as hex, so the digit count is even",
    fix: "the token was cut or altered: export it again",
    severity: "error",
  },
  APNS_UNUSUAL_LENGTH: {
    rule: "APNs device tokens are 64 hex digits in practice, though Apple does not fix the size",
    fix: "check that the export did not cut or join tokens",
    severity: "warning",
  },
  APNS_TOKEN_LOOKS_LIKE_FCM: {
    rule: "an iOS app takes APNs device tokens only",
    fix: "import this row into the Android app (--platform android)",
    severity: "error",
  },
  FCM_TOKEN_LOOKS_LIKE_APNS: {
    rule: "an Android app takes FCM registration tokens only",
    fix: "import this row into the iOS app (--platform ios)",
    severity: "error",
  },
  FCM_BAD_CHARACTERS: {
    rule: "FCM registration tokens use only letters, digits, '_', ':' and '-'",
    fix: "export the registration token itself, not an instance id or a wrapped value",
    severity: "error",
  },
  FCM_TOO_SHORT: {
    rule: `FCM registration tokens are about 140-200+ characters; this tool refuses under ${FCM_MIN_LENGTH}`,
    fix: "export the full registration token (getToken), not a cut or an id",
    severity: "error",
  },
  FCM_TOO_LONG: {
    rule: `no FCM registration token is longer than ${FCM_MAX_LENGTH} characters`,
    fix: "check that the export did not join several values into one",
    severity: "error",
  },
  FCM_INSTALLATION_ID: {
    rule: "a 22-character Firebase Installation ID is not a registration token and Braze may not reach it",
    fix: "export registration tokens (FirebaseMessaging.getToken), or pass --accept-installation-ids to import it anyway",
    severity: "error",
  },
  DEVICE_ID_LENGTH: {
    rule: `Braze takes a device_id of ${DEVICE_ID_BYTES.min}-${DEVICE_ID_BYTES.max} bytes (BAD_DEVICE_ID)`,
    fix: "fix the value, or leave the device_id column out and Braze makes one",
    severity: "error",
  },
  EXTERNAL_ID_TOO_LARGE: {
    rule: `Braze takes an external_id of at most ${EXTERNAL_ID_MAX_BYTES} bytes (EXTERNAL_USER_ID_TOO_LARGE)`,
    fix: "map a shorter user id to external_id",
    severity: "error",
  },
  EXTERNAL_ID_MISSING: {
    rule: "an identified import sends every token to a user named by external_id",
    fix: "fill in the external_id, or import rows without one in an anonymous import (--mode anonymous)",
    severity: "error",
  },
  EXTERNAL_ID_IN_ANONYMOUS: {
    rule: "an anonymous import (push_token_import) must not carry an external_id",
    fix: "import this row in an identified import, or stop reading the column (--column external_id=)",
    severity: "error",
  },
  TOKEN_CLAIMED_TWICE: {
    rule: "a push token belongs to one device and so to one user",
    fix: "keep only the row of the user who holds the device now (the earlier row is the one imported)",
    severity: "error",
  },
  TOKEN_REPEATED_DIFFERENTLY: {
    rule: "a token appears once per import; repeats must be identical to be collapsed",
    fix: "keep one row per token (the earlier row is the one imported)",
    severity: "error",
  },
};
