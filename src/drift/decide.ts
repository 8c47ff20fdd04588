import type { TokenOutcome } from "../engine/ledger";
import type { ImportMode } from "../tokens/types";
import type { Holder } from "./holder";
import type { DriftState } from "./types";

/** What is known of one declared token once it has been read back. */
export interface ReadBack {
  readonly mode: ImportMode;
  /** The external_id the batch declared (identified batches). */
  readonly externalId?: string;
  /** The profile holding the token now; undefined when Braze holds it nowhere. */
  readonly holder: Holder | undefined;
  /**
   * Whether the lookup covered the whole workspace. False when only one profile was asked
   * (identified without a segment export, or by device_id): "not there" then means "not
   * where it was looked for".
   */
  readonly searchedWorkspace: boolean;
  /** The ledger's outcome for the token; `null` when no ledger is used. */
  readonly outcome: TokenOutcome | undefined | null;
}

/** A token's state and, when it drifted, why. */
export interface Decision {
  readonly state: DriftState;
  readonly reason: string;
  readonly heldBy?: string | null;
}

/**
 * Decides the state of one declared token from where Braze holds it now and what the import's
 * ledger recorded. The rules, in order (docs/drift.md has them as a table):
 *
 * 1. held where declared (identified: by its external_id; anonymous: by a profile with no
 *    external_id and no SDK session in the app) -> `in_sync`;
 * 2. held by a profile that logged an SDK session in the app, without another external_id ->
 *    `claimed_by_sdk` (identified: only an anonymous SDK profile; another external_id is
 *    `moved` whoever wrote it);
 * 3. held elsewhere -> `moved`;
 * 4. held nowhere: ledger `accepted` -> `removed`; otherwise `missing`, with what the ledger says.
 */
export function decideState(read: ReadBack): Decision {
  const { holder } = read;
  if (holder !== undefined) {
    if (read.mode === "identified") {
      if (holder.externalId === read.externalId) return { state: "in_sync", reason: "" };
      if (holder.externalId !== null) {
        return {
          state: "moved",
          reason: `held by another external_id${holder.sdk ? " (registered by the SDK)" : ""}`,
          heldBy: holder.externalId,
        };
      }
      if (holder.sdk) {
        return {
          state: "claimed_by_sdk",
          reason: "the SDK registered it on an anonymous profile",
          heldBy: null,
        };
      }
      return {
        state: "moved",
        reason: "held by an anonymous profile the SDK never registered (an anonymous import?)",
        heldBy: null,
      };
    }

    if (holder.sdk) {
      return {
        state: "claimed_by_sdk",
        reason: "the SDK registered it",
        heldBy: holder.externalId,
      };
    }
    if (holder.externalId !== null) {
      return {
        state: "moved",
        reason: "an identified write, not the SDK, put it on an external_id",
        heldBy: holder.externalId,
      };
    }
    return { state: "in_sync", reason: "" };
  }

  const where = read.searchedWorkspace
    ? "Braze holds it nowhere"
    : read.mode === "identified"
      ? "not on its external_id (not searched elsewhere: no segment export)"
      : "no profile found by its device_id (not searched elsewhere: no segment export)";
  switch (read.outcome) {
    case "accepted":
      return {
        state: "removed",
        reason: `${where}; the ledger shows Braze accepted it (uninstalled or deleted since)`,
      };
    case "rejected":
      return { state: "missing", reason: `${where}; the ledger shows Braze rejected it` };
    case "sent":
    case "unknown":
      return { state: "missing", reason: `${where}; the ledger shows its outcome in doubt` };
    case undefined:
      return { state: "missing", reason: `${where}; the ledger shows it was never sent` };
    case null:
      return {
        state: "missing",
        reason: `${where}; no ledger to tell never landed from removed`,
      };
  }
}
