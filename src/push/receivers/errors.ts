/**
 * Errors of the Android receiver tools. Problems of a declared setting stay data
 * (`ReceiverIssue`) until a caller asks for a valid one; then they travel in one error.
 */

/** Stable codes of the problems a declared receiver setting can have. */
export type ReceiverIssueCode =
  /** `receiver` names no preset. */
  | "RECEIVER_UNKNOWN"
  /** `appId` is empty. */
  | "APP_ID_MISSING"
  /** Options of the `custom` preset were given to another preset. */
  | "RECEIVER_OPTIONS_UNEXPECTED"
  /** The receiver reads top-level keys but `flatten` is false: they would be hidden in `extra`. */
  | "FLATTEN_REQUIRED"
  /** A declared key is one Braze writes itself (`_ab`, `t`, `a`, `cid`, `uri`, `extra`). */
  | "KEY_RESERVED_BY_BRAZE"
  /** A declared key is one FCM reserves (`from`, `google.*`, `gcm.*`). */
  | "KEY_RESERVED_BY_FCM"
  /** A declared key is one the preset fills at each send. */
  | "KEY_FILLED_BY_PRESET"
  /** A declared key makes the receiver drop or hide the push. */
  | "KEY_FORBIDDEN"
  /** A declared key is empty. */
  | "KEY_EMPTY"
  /** A declared value is not a string. */
  | "VALUE_NOT_STRING"
  /** A declared value is one the receiver cannot parse. */
  | "VALUE_REJECTED_BY_RECEIVER"
  /** A key the custom receiver requires is neither declared nor filled. */
  | "REQUIRED_KEY_UNDECLARED";

/** One problem of a declared receiver setting, as data. */
export interface ReceiverIssue {
  readonly code: ReceiverIssueCode;
  /** An error makes the setting invalid; a warning is worth reading. */
  readonly severity: "error" | "warning";
  /** The key concerned, when there is one. */
  readonly key?: string;
  /** What is wrong, the value, the rule and the fix, in one lowercase line. */
  readonly message: string;
}

/** Stable codes of `ReceiverError`. */
export type ReceiverErrorCode =
  /** The setting has errors (see `issues`) or cannot be resolved at all. */
  | "RECEIVER_SETTING_INVALID"
  /** A send-test names no recipient, or more than /messages/send takes. */
  | "SEND_TEST_RECIPIENTS"
  /** A send-test's push is larger than Braze accepts; nothing was sent. */
  | "SEND_TEST_TOO_LONG"
  /** The emulator's admin API refused a request or could not be reached. */
  | "EMULATOR_ADMIN";

/** A failure of the Android receiver tools; branch on `code`. */
export class ReceiverError extends Error {
  override readonly name = "ReceiverError";
  /** A stable code to branch on. */
  readonly code: ReceiverErrorCode;
  /** The setting's problems, for `RECEIVER_SETTING_INVALID`. */
  readonly issues: readonly ReceiverIssue[];

  constructor(code: ReceiverErrorCode, message: string, issues: readonly ReceiverIssue[] = []) {
    super(message);
    this.code = code;
    this.issues = issues;
  }
}
