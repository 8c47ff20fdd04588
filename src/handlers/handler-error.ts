/** Stable codes of the ways a handler can fail; Terraform marks the resource failed on each. */
export type HandlerErrorCode =
  | "HANDLER_CONFIG"
  | "APP_ID_REJECTED"
  | "BRAZE_REFUSED"
  | "IMPORT_STOPPED"
  | "IMPORT_INCOMPLETE"
  | "FLATTEN_PENDING"
  | "FLATTEN_FAILED";

/**
 * A handler could not reconcile its resource. The message names the construct path, what is
 * wrong and the fix; the CLI prints it and exits non-zero so the next apply retries.
 */
export class HandlerError extends Error {
  constructor(
    /** Stable code to branch on. */
    readonly code: HandlerErrorCode,
    /** The construct path of the resource, e.g. `acme/ios-known-users`. */
    readonly constructPath: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[${constructPath}] ${message}`, options);
    this.name = "HandlerError";
  }
}
