import { isBrazeError } from "../client/errors";
import { HandlerError } from "./handler-error";

/**
 * Turns a failure of the Braze client into the handler's error: Braze's own refusals (key,
 * permission, rate limits used up, 5xx) keep the client's message, which never holds the key.
 */
export function brazeFailure(constructPath: string, err: unknown): unknown {
  if (err instanceof HandlerError) return err;
  if (isBrazeError(err)) {
    return new HandlerError(
      "BRAZE_REFUSED",
      constructPath,
      `${err.message} (${err.code}); the next apply tries again`,
      { cause: err },
    );
  }
  return err;
}
