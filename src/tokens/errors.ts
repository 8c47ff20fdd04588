import type { TokenIssue } from "./types";

/** Codes of the failures that stop a read altogether (a bad row is a {@link TokenIssue}). */
export type TokenSourceErrorCode =
  | "FILE_UNREADABLE"
  | "CSV_MALFORMED"
  | "JSON_MALFORMED"
  | "MISSING_COLUMN"
  | "UNKNOWN_COLUMN"
  | "BAD_OPTION";

/**
 * A token file that cannot be read as asked: missing, malformed beyond one row, or lacking a
 * column the preset needs. The message names the file and says what to do.
 */
export class TokenSourceError extends Error {
  /** A stable code to branch on. */
  readonly code: TokenSourceErrorCode;

  constructor(code: TokenSourceErrorCode, message: string) {
    super(message);
    this.name = "TokenSourceError";
    this.code = code;
  }
}

/**
 * A token as it may be shown: an ellipsis and its last 6 characters. Push tokens are
 * credentials for reaching a device, so no output ever holds one whole.
 */
export function lastSix(token: string): string {
  return `…${token.slice(-6)}`;
}

/**
 * Prints an issue on one line, e.g.
 * `tokens/ios.csv line 42: token is not hex (…a1b2zz): APNs device tokens are hex strings; export the raw device token`.
 */
export function formatTokenIssue(issue: TokenIssue): string {
  const value = issue.value === undefined ? "" : ` (${issue.value})`;
  const prefix = issue.severity === "warning" ? "warning: " : "";
  return `${issue.file} line ${issue.line}: ${prefix}${issue.problem}${value}: ${issue.rule}; ${issue.fix}`;
}
