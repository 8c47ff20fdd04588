import { join } from "node:path";
import type { BrazeClient } from "../client/braze-client";
import { isBrazeError, type BrazeBadRequestError, type BrazeErrorCode } from "../client/errors";
import type { TrackRejection } from "../client/schemas";
import { readTokenSource, scanTokenFile, type TokenScan } from "../tokens/token-source";
import type { TokenReport, TokenRow, TokenSourceOptions } from "../tokens/types";
import { Ledger, tokenKey, type LedgerCounts, type LedgerRejection } from "./ledger";

/** What to import, where to, and how. */
export interface ImportOptions {
  /** The token file and how to read it. */
  readonly source: TokenSourceOptions;
  /** The Braze app_id the tokens belong to (an app of the source's platform). */
  readonly appId: string;
  /**
   * Where the ledger of this import lives (a SQLite file, created when absent).
   * @default - `<ledgerDir>/<app_id>-<mode>-<first 16 hex digits of the file digest>.sqlite`, so
   * a changed file gets a ledger of its own
   */
  readonly ledgerPath?: string;
  /**
   * Folder of the default ledger path.
   * @default ".braze-push-migrate/ledgers"
   */
  readonly ledgerDir?: string;
  /** The Braze client; not used (and may be absent) with `dryRun`. */
  readonly client?: BrazeClient;
  /**
   * Objects per /users/track request.
   * @default 75 - Braze's documented limit
   */
  readonly objectsPerRequest?: number;
  /**
   * Requests in flight at once. The client's own concurrency and rate limiter pace them; this
   * bounds how many batches wait in memory.
   * @default 256
   */
  readonly inFlight?: number;
  /**
   * Identified imports only: re-send rows whose earlier outcome is in doubt (sent without an
   * answer). A re-send rewrites the attributes of those users, which may have changed since.
   * @default false - such rows are reported and left alone
   */
  readonly resendInDoubt?: boolean;
  /**
   * Validate and count, send nothing, write no ledger.
   * @default false
   */
  readonly dryRun?: boolean;
  /** Called after each request settles. */
  readonly onProgress?: (progress: ImportProgress) => void;
  /**
   * The digest the caller declared for this file (e.g. a Terraform manifest): when the file's
   * digest differs, nothing is sent and an ImportError says so.
   * @default - any content is imported
   */
  readonly expectedDigest?: string;
}

/** Progress of a running import. */
export interface ImportProgress {
  /** Valid rows of the file. */
  readonly total: number;
  /** Rows settled by this run or an earlier one (accepted, rejected, unknown or skipped). */
  readonly done: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly unknown: number;
}

/** The outcome of an import; every valid token is counted in exactly one of the ledger's states. */
export interface ImportReport {
  /** The validation report of the token file: counts, digest, first rejections. */
  readonly source: TokenReport;
  readonly dryRun: boolean;
  readonly ledgerPath?: string;
  /** Tokens per outcome over this and earlier runs of the same import. */
  readonly outcomes?: LedgerCounts;
  /** Tokens Braze had confirmed in an earlier run, so this run did not send them. */
  readonly settledBefore: number;
  /** Identified rows left alone because their outcome was in doubt (see `resendInDoubt`). */
  readonly leftInDoubt: number;
  /** Lines of the first tokens whose outcome is in doubt. */
  readonly linesInDoubt: readonly number[];
  /** The first rejections by Braze, by line. */
  readonly brazeRejections: readonly LedgerRejection[];
  /** True when every valid token of the file was accepted by Braze. */
  readonly complete: boolean;
  /** Requests sent in this run. */
  readonly requests: number;
  /** Wall-clock seconds of this run's two passes: validating the file, then sending it. */
  readonly seconds: { readonly validate: number; readonly send: number };
}

/** Raised when an import stops before its end; what was recorded stays in the ledger. */
export class ImportError extends Error {
  /** Stable code to branch on. */
  readonly code = "IMPORT_STOPPED";

  constructor(
    message: string,
    /** The report up to the stop. */
    readonly report: ImportReport,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ImportError";
  }
}

interface Pending {
  readonly row: TokenRow;
  readonly key: number;
}

/**
 * Imports one token file into one Braze app.
 *
 * 1. The whole file is validated first (nothing is sent when it cannot be read), which gives
 *    its digest: the ledger is keyed by it, so a changed file is a new import.
 * 2. Rows are read again, streaming, and those the ledger shows Braze confirmed are skipped.
 * 3. The rest go out in requests of `objectsPerRequest`, many in flight; each token is marked
 *    `sent` before its request leaves and `accepted`, `rejected` or `unknown` after, so a
 *    killed import resumes without re-sending what Braze confirmed.
 *
 * A token whose request was answered with a fault that means "not applied" (429 retries used
 * up, auth, permission) is forgotten, to be sent next run; one whose request may have been
 * applied is `unknown`. Anonymous rows in doubt are re-sent (Braze ignores tokens it has);
 * identified ones only with `resendInDoubt`.
 *
 * @throws ImportError when Braze refuses the key or the requests (the ledger keeps what landed)
 */
export async function runImport(options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const scan = await scanTokenFile(options.source);
  const source = scan.report;
  const validated = performance.now();
  const validate = round((validated - started) / 1000);
  const base = {
    source,
    dryRun: options.dryRun === true,
    requests: 0,
    seconds: { validate, send: 0 },
  };
  if (options.expectedDigest !== undefined && source.digest !== options.expectedDigest) {
    throw new ImportError(
      `${options.source.file} has digest ${source.digest}, not the declared ` +
        `${options.expectedDigest}: the file changed after it was declared; declare it again`,
      {
        ...base,
        settledBefore: 0,
        leftInDoubt: 0,
        linesInDoubt: [],
        brazeRejections: [],
        complete: false,
      },
    );
  }
  if (options.dryRun) {
    return {
      ...base,
      settledBefore: 0,
      leftInDoubt: 0,
      linesInDoubt: [],
      brazeRejections: [],
      complete: false,
    };
  }
  if (options.client === undefined) {
    throw new TypeError("runImport needs a client unless dryRun is set");
  }

  const ledger = Ledger.open(options.ledgerPath ?? defaultLedgerPath(options, source.digest), {
    sourceDigest: source.digest,
    appId: options.appId,
    mode: options.source.mode,
  });
  try {
    return await send(options, options.client, ledger, scan, { validate, sendStarted: validated });
  } finally {
    ledger.close();
  }
}

async function send(
  options: ImportOptions,
  client: BrazeClient,
  ledger: Ledger,
  scan: TokenScan,
  timing: { validate: number; sendStarted: number },
): Promise<ImportReport> {
  const source = scan.report;
  const identified = options.source.mode === "identified";
  const size = options.objectsPerRequest ?? 75;
  const inFlightMax = options.inFlight ?? 256;
  const total = source.counts.valid;

  let settledBefore = 0;
  let leftInDoubt = 0;
  let requests = 0;
  let done = 0;
  let failure: unknown;
  const inFlight = new Set<Promise<void>>();

  // progress counts this run in memory; the ledger's totals are read once, at the end
  const tally = { accepted: 0, rejected: 0, unknown: 0 };
  const progress = () =>
    options.onProgress?.({
      total,
      done: done + settledBefore + leftInDoubt,
      ...tally,
    });

  const dispatch = (batch: Pending[]) => {
    requests += 1;
    const request = sendBatch(client, ledger, options.appId, identified, batch)
      .then(
        (outcome) => {
          done += batch.length;
          tally.accepted += outcome.accepted;
          tally.rejected += outcome.rejected;
          tally.unknown += outcome.unknown;
        },
        (err: unknown) => {
          failure ??= err;
        },
      )
      .finally(() => {
        inFlight.delete(request);
        progress();
      });
    inFlight.add(request);
  };

  // the second read skips the repeats the scan found; the digest compared at the end tells
  // whether the file changed in between
  const reader = readTokenSource(options.source, scan);

  const firstRun = ledger.isEmpty();
  let batch: Pending[] = [];
  try {
    for await (const rows of reader.chunks()) {
      if (failure !== undefined) break;
      const keys = rows.map((row) => ({ line: row.line, key: tokenKey(row.token) }));
      const before = firstRun ? undefined : ledger.outcomes(keys);

      for (let i = 0; i < rows.length; i++) {
        const { key, line } = keys[i];
        const outcome = before?.[i];
        if (outcome === "accepted" || outcome === "rejected") {
          settledBefore += 1;
          continue;
        }
        if (identified && (outcome === "sent" || outcome === "unknown") && !options.resendInDoubt) {
          // re-sending would rewrite this user's attributes: left for the caller to decide
          leftInDoubt += 1;
          if (outcome === "sent") ledger.recordOutcome([{ key, line, outcome: "unknown" }]);
          tally.unknown += 1;
          continue;
        }

        batch.push({ row: rows[i], key });
        if (batch.length === size) {
          dispatch(batch);
          batch = [];
          while (inFlight.size >= inFlightMax) await Promise.race(inFlight);
          if (failure !== undefined) break;
        }
      }
    }
  } catch (err) {
    // a file that cannot be read any more, or a ledger that does not match it
    failure ??= err;
  }
  if (batch.length > 0 && failure === undefined) dispatch(batch);
  await Promise.all(inFlight);
  if (failure === undefined && reader.report().digest !== source.digest) {
    failure = new Error(
      `${options.source.file} changed while it was being imported (its digest differs from the ` +
        "validated one); run the import again so the ledger follows the new content",
    );
  }

  const outcomes = ledger.counts();
  const report: ImportReport = {
    source,
    dryRun: false,
    ledgerPath: ledger.path,
    outcomes,
    settledBefore,
    leftInDoubt,
    linesInDoubt: ledger.linesInDoubt(),
    brazeRejections: ledger.rejections(),
    complete: failure === undefined && outcomes.accepted === total,
    requests,
    seconds: {
      validate: timing.validate,
      send: round((performance.now() - timing.sendStarted) / 1000),
    },
  };
  if (failure !== undefined) {
    const reason = failure instanceof Error ? failure.message : String(failure);
    throw new ImportError(`import stopped: ${reason}`, report, { cause: failure });
  }
  return report;
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** The ledger path an import uses when none is given. */
export function defaultLedgerPath(
  options: Pick<ImportOptions, "appId" | "ledgerDir" | "source">,
  digest: string,
): string {
  const app = options.appId.replace(/[^A-Za-z0-9_-]/g, "_");
  const hex = digest.replace(/^sha256:/, "").slice(0, 16);
  const dir = options.ledgerDir ?? join(".braze-push-migrate", "ledgers");
  return join(dir, `${app}-${options.source.mode}-${hex}.sqlite`);
}

/** What became of the tokens of one request. */
interface BatchOutcome {
  readonly accepted: number;
  readonly rejected: number;
  readonly unknown: number;
}

/** Sends one request and records what became of each of its tokens. */
async function sendBatch(
  client: BrazeClient,
  ledger: Ledger,
  appId: string,
  identified: boolean,
  batch: Pending[],
): Promise<BatchOutcome> {
  const entries = batch.map((p) => ({ key: p.key, line: p.row.line }));
  // `sent` marks identified rows in doubt after a crash; an anonymous row without a record is
  // simply sent again, which Braze ignores, so anonymous imports skip this write
  if (identified) ledger.recordSent(entries);

  const attributes = batch.map((p) => attributesObject(p.row, appId, identified));
  let rejected: readonly TrackRejection<Pending>[];
  try {
    const result = await client.track<Pending>(
      { attributes },
      { idempotent: !identified, rows: { attributes: batch } },
    );
    rejected = result.rejected;
  } catch (err) {
    // every object invalid: Braze names each one, and nothing of the request was applied
    if (isBrazeError(err, "BRAZE_BAD_REQUEST")) {
      const { rejected } = err as BrazeBadRequestError;
      if (rejected.length === batch.length) {
        return recordAnswer(ledger, batch, rejected as readonly TrackRejection<Pending>[]);
      }
    }
    if (notApplied(err)) {
      ledger.forget(entries.map((e) => e.line));
      throw err;
    }
    ledger.recordOutcome(entries.map((e) => ({ ...e, outcome: "unknown" as const })));
    // a request that may or may not have landed is recorded and reported; the import goes on
    if (
      isBrazeError(err, "BRAZE_OUTCOME_UNKNOWN") ||
      isBrazeError(err, "BRAZE_MALFORMED_RESPONSE")
    ) {
      return { accepted: 0, rejected: 0, unknown: batch.length };
    }
    throw err;
  }
  return recordAnswer(ledger, batch, rejected);
}

function recordAnswer(
  ledger: Ledger,
  batch: Pending[],
  rejected: readonly TrackRejection<Pending>[],
): BatchOutcome {
  const codes = new Map<number, string>();
  for (const r of rejected) if (r.row) codes.set(r.row.row.line, r.type);
  ledger.recordOutcome(
    batch.map((p) => {
      const code = codes.get(p.row.line);
      return code === undefined
        ? { key: p.key, line: p.row.line, outcome: "accepted" as const }
        : { key: p.key, line: p.row.line, outcome: "rejected" as const, code };
    }),
  );
  return { accepted: batch.length - codes.size, rejected: codes.size, unknown: 0 };
}

// failures that prove the request was not applied, so its tokens can simply be sent again
const NOT_APPLIED: readonly BrazeErrorCode[] = [
  "BRAZE_RATE_LIMIT_EXHAUSTED",
  "BRAZE_AUTH",
  "BRAZE_PERMISSION",
  "BRAZE_BAD_REQUEST",
  "BRAZE_CONFIG",
  "BRAZE_CONNECTION",
];

function notApplied(err: unknown): boolean {
  return isBrazeError(err) && NOT_APPLIED.includes(err.code);
}

/**
 * The /users/track attributes object for a row: identified rows name their external_id,
 * anonymous rows carry `push_token_import: true` and no identifier (push_token_migration.md).
 */
export function attributesObject(
  row: TokenRow,
  appId: string,
  identified: boolean,
): Record<string, unknown> {
  const pushToken: Record<string, string> = { app_id: appId, token: row.token };
  if (row.deviceId !== undefined) pushToken.device_id = row.deviceId;

  const object: Record<string, unknown> = identified
    ? { external_id: row.externalId }
    : { push_token_import: true };
  object.push_tokens = [pushToken];
  if (row.email !== undefined) object.email = row.email;
  if (row.country !== undefined) object.country = row.country;
  if (row.language !== undefined) object.language = row.language;
  for (const [name, value] of Object.entries(row.customAttributes)) object[name] = value;
  return object;
}
