import type { BrazeClient } from "../client/braze-client";
import { Ledger, LedgerError, tokenKey } from "../engine/ledger";
import { lastSix, TokenSourceError } from "../tokens/errors";
import { readTokenSource, scanTokenFile, type TokenScan } from "../tokens/token-source";
import type { TokenRow, TokenSourceOptions } from "../tokens/types";
import { decideState, type Decision } from "./decide";
import { DriftError } from "./errors";
import type { Holder } from "./holder";
import { holdersByDeviceId, holdersByExternalId, type ReadBackContext } from "./read-back";
import { driftTokenKey } from "./token-key";
import {
  DRIFT_REPORT_VERSION,
  DRIFT_STATES,
  type BatchDrift,
  type DeclaredBatch,
  type DriftCounts,
  type DriftedToken,
  type DriftOptions,
  type DriftReport,
  type ReadBackMethod,
  type UndeclaredDrift,
} from "./types";
import { WorkspaceIndex } from "./workspace-index";

/** A batch once its file has been read: the scan, or why it cannot be checked. */
interface ScannedBatch {
  readonly batch: DeclaredBatch;
  readonly source: TokenSourceOptions;
  readonly scan?: TokenScan;
  /** Set when no token of the batch can be compared. */
  readonly problem?: string;
}

/**
 * Compares every token of the declared batches with what Braze holds now, and lists the tokens
 * of import profiles no batch declares.
 *
 * 1. Each token file is read once to check its digest against the declared one: a file that
 *    changed (or cannot be read) is not compared, its tokens are `not_checked` with the reason.
 * 2. When anonymous batches need it, or `findUndeclared` is on, the whole workspace is exported
 *    through the segment `segmentId` and streamed into a temporary on-disk index
 *    ({@link WorkspaceIndex}); memory stays flat however many tokens either side holds.
 * 3. Each batch is read again, a chunk of rows at a time, and read back: identified rows
 *    through /users/export/ids (50 external_ids a request), anonymous rows from the index, or
 *    by device_id for small batches when no export is taken. {@link decideState} gives each
 *    token its state, with the import's ledger telling `removed` from `missing`.
 *
 * @throws DriftError when a declaration is inconsistent or an option is invalid
 * @throws BrazeError when Braze refuses or fails a read (the check cannot be trusted then)
 */
export async function checkDrift(
  client: BrazeClient,
  batches: readonly DeclaredBatch[],
  options: DriftOptions = {},
): Promise<DriftReport> {
  const started = performance.now();
  const settings = resolveOptions(options);
  const appIds = appIdsByName(batches);

  // 1. every file once: digest and counts
  const scanned: ScannedBatch[] = [];
  for (const batch of batches) scanned.push(await scanBatch(batch));

  // 2. a segment export when an anonymous batch is too large for device_id lookups, or to
  // find undeclared tokens
  const small = (s: ScannedBatch) =>
    s.scan !== undefined &&
    s.scan.report.counts.valid <= settings.deviceIdThreshold &&
    s.scan.report.columns.device_id !== undefined;
  const needExport =
    settings.findUndeclared ||
    scanned.some((s) => s.batch.mode === "anonymous" && s.problem === undefined && !small(s));
  let index: WorkspaceIndex | undefined;
  if (needExport && options.segmentId !== undefined) {
    index = await WorkspaceIndex.build(client, options.segmentId, appIds, {
      tempDir: options.tempDir,
      download: options.segmentDownload,
    });
  }
  const noSegment =
    "no segment id to export the workspace with: pass --segment-id with a segment of every user";

  try {
    // 3. every batch against what Braze holds
    const results: BatchDrift[] = [];
    for (const s of scanned) {
      const method: ReadBackMethod =
        s.problem !== undefined
          ? "none"
          : s.batch.mode === "identified"
            ? "users_export_ids"
            : index !== undefined
              ? "segment_export"
              : small(s)
                ? "device_id"
                : "none";
      const problem = s.problem ?? (method === "none" ? noSegment : undefined);
      const context: ReadBackContext = {
        client,
        appId: s.batch.appId,
        appName: s.batch.appName,
        appIds,
        concurrency: settings.concurrency,
      };
      results.push(
        problem === undefined
          ? await checkBatch(s, method, context, index, settings.maxDetails)
          : await notChecked(s, problem, index),
      );
    }

    const undeclared: UndeclaredDrift =
      index !== undefined && settings.findUndeclared
        ? listUndeclared(index, settings.maxDetails)
        : {
            checked: false,
            reason: settings.findUndeclared ? noSegment : "not asked for (findUndeclared: false)",
            count: 0,
            tokens: [],
            notListed: 0,
          };
    return {
      version: DRIFT_REPORT_VERSION,
      summary: summarise(results, undeclared.count),
      batches: results,
      undeclared,
      ...(index === undefined
        ? {}
        : {
            workspace: { segmentId: options.segmentId!, users: index.users, tokens: index.tokens },
          }),
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } finally {
    index?.close();
  }
}

interface Settings {
  readonly findUndeclared: boolean;
  readonly deviceIdThreshold: number;
  readonly maxDetails: number;
  readonly concurrency: number;
}

function resolveOptions(options: DriftOptions): Settings {
  const settings = {
    findUndeclared: options.findUndeclared ?? true,
    deviceIdThreshold: options.deviceIdThreshold ?? 100,
    maxDetails: options.maxDetails ?? 100,
    concurrency: options.concurrency ?? 8,
  };
  for (const name of ["deviceIdThreshold", "maxDetails"] as const) {
    if (!Number.isInteger(settings[name]) || settings[name] < 0) {
      throw new DriftError(
        "DRIFT_BAD_OPTION",
        `${name} must be a whole number of 0 or more, got ${settings[name]}`,
      );
    }
  }
  if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1) {
    throw new DriftError(
      "DRIFT_BAD_OPTION",
      `concurrency must be a whole number of 1 or more, got ${settings.concurrency}`,
    );
  }
  if (options.segmentId !== undefined && options.segmentId.trim() === "") {
    throw new DriftError("DRIFT_BAD_OPTION", "segmentId is empty: pass a segment id or none");
  }
  return settings;
}

// exports name apps, declarations give ids: one name must mean one app
function appIdsByName(batches: readonly DeclaredBatch[]): Map<string, string> {
  const appIds = new Map<string, string>();
  const ids = new Set<string>();
  for (const batch of batches) {
    if (ids.has(batch.id)) {
      throw new DriftError("DRIFT_BAD_BATCH", `two batches are declared as "${batch.id}"`);
    }
    ids.add(batch.id);
    if (batch.appName.trim() === "") {
      throw new DriftError(
        "DRIFT_BAD_BATCH",
        `batch "${batch.id}" has no app name: exports name apps, so drift needs the Braze ` +
          "app's name as well as its app_id",
      );
    }
    const known = appIds.get(batch.appName);
    if (known !== undefined && known !== batch.appId) {
      throw new DriftError(
        "DRIFT_BAD_BATCH",
        `app name "${batch.appName}" is declared for app_ids ${known} and ${batch.appId} ` +
          `(batch "${batch.id}"): exports name apps by name, so each app needs its own name`,
      );
    }
    appIds.set(batch.appName, batch.appId);
  }
  return appIds;
}

async function scanBatch(batch: DeclaredBatch): Promise<ScannedBatch> {
  const source: TokenSourceOptions = {
    ...batch.source,
    platform: batch.platform,
    mode: batch.mode,
  };
  let scan: TokenScan;
  try {
    scan = await scanTokenFile(source);
  } catch (err) {
    if (!(err instanceof TokenSourceError)) throw err;
    return { batch, source, problem: `the token file cannot be read: ${err.message}` };
  }
  if (scan.report.digest !== batch.digest) {
    return {
      batch,
      source,
      scan,
      problem:
        `the token file changed since it was applied (digest ${short(scan.report.digest)}, ` +
        `declared ${short(batch.digest)}): apply it again, or restore the applied file`,
    };
  }
  return { batch, source, scan };
}

// a batch none of whose tokens can be compared; its current tokens still count as declared,
// so they are not reported undeclared
async function notChecked(
  s: ScannedBatch,
  problem: string,
  index: WorkspaceIndex | undefined,
): Promise<BatchDrift> {
  if (index !== undefined && s.scan !== undefined) {
    for await (const rows of readTokenSource(s.source, s.scan).chunks()) {
      index.mark(rows.map((row) => driftTokenKey(s.batch.appId, row.token)));
    }
  }
  const tokens = s.batch.tokens ?? s.scan?.report.counts.valid ?? 0;
  const notes = [problem];
  if (s.batch.tokens === undefined && s.scan === undefined) {
    notes.push("the declaration gives no token count, so none are counted");
  }
  return {
    ...describe(s, "none"),
    ledger: "absent",
    tokens,
    counts: { ...zeroCounts(), not_checked: tokens },
    drifted: [],
    driftedNotListed: 0,
    notes,
  };
}

async function checkBatch(
  s: ScannedBatch,
  method: ReadBackMethod,
  context: ReadBackContext,
  index: WorkspaceIndex | undefined,
  maxDetails: number,
): Promise<BatchDrift> {
  const { batch } = s;
  const notes: string[] = [];
  const { ledger, state: ledgerState } = openLedger(batch, s.scan!.report.digest, notes);
  const counts = zeroCounts();
  const drifted: DriftedToken[] = [];
  let driftedNotListed = 0;
  let tokens = 0;

  try {
    for await (const rows of readTokenSource(s.source, s.scan).chunks()) {
      const decisions = await decideChunk(rows, method, context, index, ledger, batch.mode);
      rows.forEach((row, i) => {
        const decision = decisions[i];
        tokens += 1;
        counts[decision.state] += 1;
        if (decision.state === "in_sync") return;
        if (drifted.length >= maxDetails) {
          driftedNotListed += 1;
          return;
        }
        drifted.push({
          line: row.line,
          token: lastSix(row.token),
          state: decision.state,
          reason: decision.reason,
          ...(row.externalId === undefined ? {} : { externalId: row.externalId }),
          ...(decision.heldBy === undefined ? {} : { heldBy: decision.heldBy }),
        });
      });
    }
  } finally {
    ledger?.close();
  }
  return {
    ...describe(s, method),
    ledger: ledgerState,
    tokens,
    counts,
    drifted,
    driftedNotListed,
    notes,
  };
}

async function decideChunk(
  rows: readonly TokenRow[],
  method: ReadBackMethod,
  context: ReadBackContext,
  index: WorkspaceIndex | undefined,
  ledger: Ledger | undefined,
  mode: DeclaredBatch["mode"],
): Promise<Decision[]> {
  const keys = rows.map((row) => driftTokenKey(context.appId, row.token));

  // where each token is now: the method's own answer, then the workspace index for what the
  // method could not find
  let holders: (Holder | undefined | "no_device_id")[];
  if (method === "users_export_ids") holders = await holdersByExternalId(context, rows);
  else if (method === "device_id") holders = await holdersByDeviceId(context, rows);
  else holders = index!.lookupAndMark(keys);
  if (index !== undefined && method !== "segment_export") {
    const fromIndex = index.lookupAndMark(keys);
    holders = holders.map((h, i) => (h === undefined ? fromIndex[i] : h));
  }

  const outcomes =
    ledger === undefined
      ? undefined
      : ledger.outcomes(rows.map((row) => ({ line: row.line, key: tokenKey(row.token) })));
  return rows.map((row, i) => {
    const holder = holders[i];
    if (holder === "no_device_id") {
      return {
        state: "not_checked",
        reason: "no device_id to look it up by, and no segment export",
      };
    }
    return decideState({
      mode,
      externalId: row.externalId,
      holder,
      searchedWorkspace: index !== undefined,
      outcome: outcomes === undefined ? null : outcomes[i],
    });
  });
}

// the import's ledger, read-only; one that is absent or belongs to another import is not used
function openLedger(
  batch: DeclaredBatch,
  digest: string,
  notes: string[],
): { ledger?: Ledger; state: BatchDrift["ledger"] } {
  if (batch.ledgerPath === undefined) {
    notes.push("no ledger declared: tokens Braze does not hold are missing, never removed");
    return { state: "absent" };
  }
  try {
    const ledger = Ledger.openReadOnly(batch.ledgerPath, {
      sourceDigest: digest,
      appId: batch.appId,
      mode: batch.mode,
    });
    return { ledger, state: "used" };
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    notes.push(
      `ledger not used (${err.message}): tokens Braze does not hold are missing, never removed`,
    );
    return { state: "unusable" };
  }
}

function describe(s: ScannedBatch, method: ReadBackMethod) {
  const { batch } = s;
  return {
    id: batch.id,
    appId: batch.appId,
    appName: batch.appName,
    platform: batch.platform,
    mode: batch.mode,
    method,
    digest: { declared: batch.digest, actual: s.scan?.report.digest ?? null },
  };
}

function listUndeclared(index: WorkspaceIndex, maxDetails: number): UndeclaredDrift {
  const { count, tokens } = index.undeclared(maxDetails);
  return { checked: true, count, tokens, notListed: count - tokens.length };
}

function summarise(batches: readonly BatchDrift[], undeclared: number): DriftReport["summary"] {
  const counts = zeroCounts();
  let declared = 0;
  for (const batch of batches) {
    declared += batch.tokens;
    for (const state of DRIFT_STATES) counts[state] += batch.counts[state];
  }
  return { declared, ...counts, undeclared };
}

function zeroCounts(): DriftCounts {
  return { in_sync: 0, missing: 0, claimed_by_sdk: 0, moved: 0, removed: 0, not_checked: 0 };
}

function short(digest: string): string {
  return `${digest.slice(0, 19)}…`;
}
