/**
 * The types of drift: what a caller declares (applied batches), the options of a check and the
 * versioned report it returns. Engine code: no cdktf or constructs import belongs here, so the
 * construct layer (issue 4's manifests) only has to fill in a `DeclaredBatch` per batch.
 */
import type { SegmentDownloadOptions } from "../client/segment-export";
import type { ImportMode, Platform, TokenSourceOptions } from "../tokens/types";

/**
 * The state of one declared token, each token in exactly one (see docs/drift.md for how each is
 * decided).
 *
 * - `in_sync`: Braze holds the token where the batch put it (identified: on its external_id;
 *   anonymous: on a profile no SDK session and no external_id claimed);
 * - `missing`: Braze does not hold it and nothing shows it ever landed (never sent, rejected,
 *   outcome in doubt, or no ledger to tell);
 * - `claimed_by_sdk`: the Braze SDK registered it on a device, so it now sits on the SDK's
 *   profile: expected after the app update, not a fault;
 * - `moved`: identified: it is held by another external_id (or an anonymous import profile);
 *   anonymous: an identified write, not the SDK, took it onto an external_id;
 * - `removed`: the ledger shows Braze accepted it, and Braze no longer holds it (uninstalled,
 *   profile deleted);
 * - `not_checked`: it could not be compared, with the reason (file changed or unreadable, no way
 *   to read it back); never silently skipped.
 */
export type DriftState =
  "in_sync" | "missing" | "claimed_by_sdk" | "moved" | "removed" | "not_checked";

/** Every drift state, in report order. */
export const DRIFT_STATES: readonly DriftState[] = [
  "in_sync",
  "missing",
  "claimed_by_sdk",
  "moved",
  "removed",
  "not_checked",
];

/** Version of the report's JSON shape; raised on any change a reader could trip over. */
export const DRIFT_REPORT_VERSION = 1;

/**
 * One applied import batch, as a stack declares it. Plain data: the CLI builds it from issue 4's
 * manifest (app id, platform, mode, column mapping, token file path and digest).
 */
export interface DeclaredBatch {
  /** What names the batch to a reader, e.g. its construct path `stack/ios-tokens`. */
  readonly id: string;
  /** The Braze app_id the batch was imported into. */
  readonly appId: string;
  /**
   * The app's name in Braze. Exports name a token's app by its NAME, not its app_id
   * (post_users_identifier.md), and no endpoint lists apps, so the declaration must say it.
   */
  readonly appName: string;
  readonly platform: Platform;
  readonly mode: ImportMode;
  /** The token file and how to read it (preset, columns, format...). */
  readonly source: Omit<TokenSourceOptions, "platform" | "mode">;
  /** The digest the batch was applied with (`sha256:...`); a file that differs is not checked. */
  readonly digest: string;
  /**
   * Valid tokens the batch declares (the manifest's count), reported as `not_checked` when the
   * file cannot be read at all.
   * @default - the count of the file as it reads now; 0 when it cannot be read
   */
  readonly tokens?: number;
  /**
   * The import's ledger. With it, a token Braze no longer holds is `removed` when the ledger
   * shows it accepted, `missing` otherwise.
   * @default - no ledger: every token Braze does not hold is `missing`
   */
  readonly ledgerPath?: string;
}

/** Settings of a drift check. */
export interface DriftOptions {
  /**
   * A segment holding every user of the workspace (for the emulator: its `allUsersSegmentId`).
   * Needed by anonymous batches above `deviceIdThreshold` and to find undeclared tokens.
   * @default - none: what needs a segment export is `not_checked`, with that reason
   */
  readonly segmentId?: string;
  /**
   * Look for tokens of import profiles that no declared batch lists. Needs a segment export.
   * @default true
   */
  readonly findUndeclared?: boolean;
  /**
   * Anonymous batches with at most this many tokens, all with a device_id column, are read
   * back by device_id through /users/export/ids (one request per token, 40/s) instead of a
   * segment export, when no segment export is taken anyway.
   * @default 100
   */
  readonly deviceIdThreshold?: number;
  /**
   * Drifted tokens listed per batch, and undeclared tokens listed; all are counted.
   * @default 100
   */
  readonly maxDetails?: number;
  /**
   * /users/export/ids requests in flight at once; the client's rate limiter paces them.
   * @default 8
   */
  readonly concurrency?: number;
  /**
   * Folder of the temporary workspace index (deleted afterwards).
   * @default os.tmpdir()
   */
  readonly tempDir?: string;
  /** How the segment export is awaited and downloaded. */
  readonly segmentDownload?: SegmentDownloadOptions;
}

/** How a batch's tokens were read back from Braze. */
export type ReadBackMethod = "users_export_ids" | "segment_export" | "device_id" | "none";

/** A drifted token, as the report shows it: never the whole token. */
export interface DriftedToken {
  /** Line of the token file where the row starts. */
  readonly line: number;
  /** The token's last 6 characters, after an ellipsis. */
  readonly token: string;
  readonly state: Exclude<DriftState, "in_sync">;
  /** Why it is in that state, in words. */
  readonly reason: string;
  /** The external_id the batch declared (identified batches). */
  readonly externalId?: string;
  /** The external_id of the profile holding the token now, when another one holds it. */
  readonly heldBy?: string | null;
}

/** Tokens per state. */
export type DriftCounts = Record<DriftState, number>;

/** The result for one declared batch. */
export interface BatchDrift {
  readonly id: string;
  readonly appId: string;
  readonly appName: string;
  readonly platform: Platform;
  readonly mode: ImportMode;
  readonly method: ReadBackMethod;
  readonly digest: { readonly declared: string; readonly actual: string | null };
  /** Whether the import's ledger was used to tell `missing` from `removed`. */
  readonly ledger: "used" | "absent" | "unusable";
  /** Tokens of the batch; each counted in exactly one state. */
  readonly tokens: number;
  readonly counts: DriftCounts;
  /** The first drifted tokens (up to `maxDetails`), in file order. */
  readonly drifted: readonly DriftedToken[];
  /** Drifted tokens counted but not listed. */
  readonly driftedNotListed: number;
  /** What a reader should know: why tokens were not checked, a ledger not used... */
  readonly notes: readonly string[];
}

/** A token of an import profile that no declared batch lists. */
export interface UndeclaredToken {
  /** The app's name, as Braze exports it. */
  readonly app: string;
  readonly token: string;
  readonly brazeId?: string;
}

/** Import profiles no stack declares. */
export interface UndeclaredDrift {
  /** False when no segment export could be taken (see `reason`): the count is then 0. */
  readonly checked: boolean;
  readonly reason?: string;
  readonly count: number;
  /** The first ones (up to `maxDetails`). */
  readonly tokens: readonly UndeclaredToken[];
  readonly notListed: number;
}

/** The versioned drift report. */
export interface DriftReport {
  readonly version: typeof DRIFT_REPORT_VERSION;
  readonly summary: { readonly declared: number; readonly undeclared: number } & DriftCounts;
  readonly batches: readonly BatchDrift[];
  readonly undeclared: UndeclaredDrift;
  /** The segment export read, when one was taken. */
  readonly workspace?: {
    readonly segmentId: string;
    readonly users: number;
    readonly tokens: number;
  };
  /** Wall-clock seconds of the check. */
  readonly seconds: number;
}
