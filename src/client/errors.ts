import type { TrackRejection } from "./schemas";

/**
 * Errors of the Braze client: one class per failure, each with a stable `code` to branch on.
 *
 * Messages are in the user's terms (what is wrong, the value, the fix), lowercase, without a
 * trailing period. No error ever holds the API key: the client keeps it in a private field and
 * sends it only in the `Authorization` header, and text that comes back from the server is
 * scrubbed of it before it lands in a message.
 */

/** Stable codes of the Braze client's errors. */
export const BRAZE_ERROR_CODES = [
  "BRAZE_CONFIG",
  "BRAZE_AUTH",
  "BRAZE_PERMISSION",
  "BRAZE_BAD_REQUEST",
  "BRAZE_RATE_LIMIT_EXHAUSTED",
  "BRAZE_SERVER",
  "BRAZE_CONNECTION",
  "BRAZE_OUTCOME_UNKNOWN",
  "BRAZE_MALFORMED_RESPONSE",
] as const;

/** One stable code of a Braze client error. */
export type BrazeErrorCode = (typeof BRAZE_ERROR_CODES)[number];

/** What every Braze client error says about the request it came from, when there was one. */
export interface BrazeErrorContext {
  /** The endpoint path, e.g. `/users/track`. */
  readonly endpoint?: string;
  /** The HTTP status of the last answer, when one came. */
  readonly status?: number;
  /** Attempts made, retries included. */
  readonly attempts?: number;
  /** The underlying error (kept non-enumerable, as `Error.cause` is). */
  readonly cause?: unknown;
}

/** Base class of every Braze client error; branch on `code`, not on the class. */
export abstract class BrazeError extends Error {
  /** Stable code to branch on. */
  abstract readonly code: BrazeErrorCode;
  /** The endpoint path, e.g. `/users/track`, when the error comes from a request. */
  readonly endpoint?: string;
  /** The HTTP status of the last answer, when one came. */
  readonly status?: number;
  /** Attempts made, retries included. */
  readonly attempts?: number;

  constructor(message: string, context: BrazeErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    if (context.endpoint !== undefined) this.endpoint = context.endpoint;
    if (context.status !== undefined) this.status = context.status;
    if (context.attempts !== undefined) this.attempts = context.attempts;
  }
}

/** The client's settings are wrong: endpoint, key, limits. Fix the setting named. */
export class BrazeConfigError extends BrazeError {
  readonly code = "BRAZE_CONFIG";
  override readonly name = "BrazeConfigError";
}

/** Braze answered 401: the key is wrong, revoked, or belongs to another instance. */
export class BrazeAuthError extends BrazeError {
  readonly code = "BRAZE_AUTH";
  override readonly name = "BrazeAuthError";
}

/** Braze answered 403: the key lacks the permission the endpoint needs. */
export class BrazePermissionError extends BrazeError {
  readonly code = "BRAZE_PERMISSION";
  override readonly name = "BrazePermissionError";
  /** The key permission the endpoint needs, e.g. `users.track`. */
  readonly permission: string;

  constructor(message: string, permission: string, context: BrazeErrorContext = {}) {
    super(message, context);
    this.permission = permission;
  }
}

/**
 * Braze refused the request as a whole (400 and other 4xx but 401, 403 and 429): nothing of it
 * was processed. `brazeMessage` and `details` are Braze's own `message` and `errors`.
 */
export class BrazeBadRequestError extends BrazeError {
  readonly code = "BRAZE_BAD_REQUEST";
  override readonly name = "BrazeBadRequestError";
  /** Braze's `message`, e.g. `Max Input Length Exceeded`. */
  readonly brazeMessage: string;
  /** Braze's `errors` array, as sent (empty when absent). */
  readonly details: readonly unknown[];
  /**
   * For /users/track: the error items of `details` mapped back to the objects and rows they
   * name (Braze answers 400 when every object of a request is invalid).
   */
  readonly rejected: readonly TrackRejection[];

  constructor(
    message: string,
    brazeMessage: string,
    details: readonly unknown[],
    context: BrazeErrorContext & { readonly rejected?: readonly TrackRejection[] } = {},
  ) {
    super(message, context);
    this.brazeMessage = brazeMessage;
    this.details = details;
    this.rejected = context.rejected ?? [];
  }
}

/** Braze kept answering 429 until the retries (attempts or total time) were used up. */
export class BrazeRateLimitError extends BrazeError {
  readonly code = "BRAZE_RATE_LIMIT_EXHAUSTED";
  override readonly name = "BrazeRateLimitError";
}

/** Braze kept answering 5xx until the retries were used up; the request was not applied. */
export class BrazeServerError extends BrazeError {
  readonly code = "BRAZE_SERVER";
  override readonly name = "BrazeServerError";
}

/** Braze could not be reached (refused, DNS, connect timeout) before anything was sent. */
export class BrazeConnectionError extends BrazeError {
  readonly code = "BRAZE_CONNECTION";
  override readonly name = "BrazeConnectionError";
}

/** Why the outcome of a request is unknown. */
export type UnknownOutcomeReason = "connection-lost" | "timeout" | "malformed-success";

/**
 * The request may or may not have been applied: the connection dropped or timed out after the
 * body was sent, or Braze answered success with a body that cannot be read. The client re-sends
 * such a request only when the call was declared idempotent; otherwise it raises this error, and
 * the caller must record the objects as unknown, never as done.
 */
export class BrazeOutcomeUnknownError extends BrazeError {
  readonly code = "BRAZE_OUTCOME_UNKNOWN";
  override readonly name = "BrazeOutcomeUnknownError";
  /** What made the outcome unknown. */
  readonly reason: UnknownOutcomeReason;

  constructor(message: string, reason: UnknownOutcomeReason, context: BrazeErrorContext = {}) {
    super(message, context);
    this.reason = reason;
  }
}

/**
 * Braze answered success, but the body does not read as documented (not JSON, or not the
 * documented shape). The request was applied; what it did is not known in detail.
 */
export class BrazeMalformedResponseError extends BrazeError {
  readonly code = "BRAZE_MALFORMED_RESPONSE";
  override readonly name = "BrazeMalformedResponseError";
  /** Where the body differs from the documented shape: zod issue paths and messages. */
  readonly issues: readonly string[];

  constructor(message: string, issues: readonly string[], context: BrazeErrorContext = {}) {
    super(message, context);
    this.issues = issues;
  }
}

/** Whether a value is an error of the Braze client, optionally with a given code. */
export function isBrazeError(value: unknown, code?: BrazeErrorCode): value is BrazeError {
  return value instanceof BrazeError && (code === undefined || value.code === code);
}
