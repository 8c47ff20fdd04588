/**
 * The types of token sources: what a caller asks for, the rows it gets back and the report that
 * closes a read. Kept in one module so the import engine, the CLI and the constructs share them.
 */

/** The platform of the Braze app a token file is imported into. */
export type Platform = "ios" | "android";

/**
 * How rows become Braze users: `identified` rows carry an external_id and land on that user;
 * `anonymous` rows carry none and are sent with `push_token_import: true`.
 */
export type ImportMode = "identified" | "anonymous";

/**
 * Which export layout a file follows.
 *
 * - `plain`: a file the team wrote, `token,external_id` and optional columns, matched by name.
 * - `onesignal`: OneSignal's `/players/csv_export` (or the dashboard export).
 * - `airship`: Airship channel objects from `GET /api/channels`, as NDJSON or JSON.
 */
export type TokenPreset = "plain" | "onesignal" | "airship";

/** The encodings a token file can have; gzip is recognised from the content, not the name. */
export type TokenFileFormat = "csv" | "ndjson" | "json";

/**
 * Which column (CSV) or field (JSON) holds each Braze field. Names are matched without regard
 * to case. A field left out falls back to the preset's names; a field set to `""` is not read.
 */
export interface ColumnMapping {
  readonly token?: string;
  readonly externalId?: string;
  readonly deviceId?: string;
  readonly email?: string;
  readonly country?: string;
  readonly language?: string;
  /**
   * Custom attributes to send, as attribute name -> column name.
   * @default - none: columns not named here are not sent
   */
  readonly customAttributes?: Readonly<Record<string, string>>;
}

/** What to read and how to judge it. */
export interface TokenSourceOptions {
  /** Path of the token file; `.gz` content (gzip magic bytes) is decompressed on the fly. */
  readonly file: string;
  /** The platform of the app the tokens go to; other platforms' rows are skipped or refused. */
  readonly platform: Platform;
  readonly mode: ImportMode;
  /** @default "plain" */
  readonly preset?: TokenPreset;
  /** Overrides of the preset's column names. */
  readonly columns?: ColumnMapping;
  /**
   * The file's encoding.
   * @default - detected from the content: `[` or a pretty-printed object is JSON, one object per
   * line is NDJSON, anything else is CSV
   */
  readonly format?: TokenFileFormat;
  /**
   * Accept 22-character Firebase Installation IDs on Android with a warning instead of refusing
   * them. They are not FCM registration tokens; whether Braze can push to them is unknown.
   * @default false
   */
  readonly acceptInstallationIds?: boolean;
  /**
   * Where the search for repeats writes its temporary files (32 bytes a row, deleted after).
   * @default - the system's temp folder (`TMPDIR`)
   */
  readonly tempDir?: string;
  /**
   * How many rejections and warnings the report keeps in full; all are counted.
   * @default 100
   */
  readonly keepIssues?: number;
}

/** A row that passed validation, normalised, ready to become a Braze user attributes object. */
export interface TokenRow {
  /** 1-based line of the file where the row starts. */
  readonly line: number;
  /** The normalised token (APNs: lower-case hex without spaces or `<>`). */
  readonly token: string;
  readonly externalId?: string;
  readonly deviceId?: string;
  readonly email?: string;
  readonly country?: string;
  readonly language?: string;
  /** Custom attributes by Braze attribute name; CSV values are strings. */
  readonly customAttributes: Readonly<Record<string, unknown>>;
}

/** Stable codes of the rules a row can break. Branch on these, never on the message. */
export type TokenIssueCode =
  | "ROW_MALFORMED"
  | "TOKEN_MISSING"
  | "WEB_PUSH_NOT_IMPORTABLE"
  | "EXPO_TOKEN"
  | "APNS_NOT_HEX"
  | "APNS_ODD_LENGTH"
  | "APNS_UNUSUAL_LENGTH"
  | "APNS_TOKEN_LOOKS_LIKE_FCM"
  | "FCM_TOKEN_LOOKS_LIKE_APNS"
  | "FCM_BAD_CHARACTERS"
  | "FCM_TOO_SHORT"
  | "FCM_TOO_LONG"
  | "FCM_INSTALLATION_ID"
  | "DEVICE_ID_LENGTH"
  | "EXTERNAL_ID_TOO_LARGE"
  | "EXTERNAL_ID_MISSING"
  | "EXTERNAL_ID_IN_ANONYMOUS"
  | "TOKEN_CLAIMED_TWICE"
  | "TOKEN_REPEATED_DIFFERENTLY";

/**
 * One broken rule on one row, kept as data; {@link formatTokenIssue} prints it. A token never
 * appears whole: `value` shows at most its last 6 characters.
 */
export interface TokenIssue {
  readonly code: TokenIssueCode;
  /** `error` rows are not imported; `warning` rows are, and the warning is reported. */
  readonly severity: "error" | "warning";
  readonly file: string;
  readonly line: number;
  /** What is wrong, e.g. `token is not hex`. */
  readonly problem: string;
  /** The offending value as it may be shown, e.g. `…a1b2zz` or `1,024 bytes`. */
  readonly value?: string;
  /** The rule that was broken. */
  readonly rule: string;
  /** What to do about it. */
  readonly fix: string;
  /** For duplicates and conflicts: the earlier line holding the same token. */
  readonly otherLine?: number;
}

/** Counts of one read; every row read is counted in exactly one of valid, rejected, duplicates, skipped. */
export interface TokenCounts {
  /** Records read (CSV rows after the header, JSON objects), blank ones included. */
  readonly rowsRead: number;
  readonly valid: number;
  readonly rejected: number;
  /** Rows identical to an earlier row with the same token, collapsed into it. */
  readonly duplicates: number;
  /** Rows not meant for this import (other platform, unsubscribed, blank). */
  readonly skipped: number;
  /** Valid rows that carry a warning (they are also counted in `valid`). */
  readonly warnings: number;
}

/** What a complete read found, enough to identify and compare a batch. */
export interface TokenReport {
  readonly file: string;
  readonly format: TokenFileFormat;
  readonly gzip: boolean;
  readonly preset: TokenPreset;
  readonly platform: Platform;
  readonly mode: ImportMode;
  /**
   * `sha256:` and the hex SHA-256 of every row that passed the rules (repeats included),
   * normalised, in file order. The same content gives the same digest on any machine (whatever
   * the encoding, line endings, gzip or column order); a changed, added or removed row changes it.
   */
  readonly digest: string;
  readonly counts: TokenCounts;
  readonly rejectedByCode: Readonly<Partial<Record<TokenIssueCode, number>>>;
  readonly warningsByCode: Readonly<Partial<Record<TokenIssueCode, number>>>;
  readonly skippedByReason: Readonly<Record<string, number>>;
  /**
   * The columns read, by Braze field. For CSV the header column chosen; for JSON the names tried
   * on each object, first present wins (`a | b`).
   */
  readonly columns: Readonly<Record<string, string>>;
  /** The first rejections, in file order (see `keepIssues`). */
  readonly rejections: readonly TokenIssue[];
  /** The first warnings, in file order (see `keepIssues`). */
  readonly warnings: readonly TokenIssue[];
  /** Things a reviewer should know about how the file was read. */
  readonly notes: readonly string[];
}
