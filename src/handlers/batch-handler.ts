/**
 * Token import batches: create imports the batch's file with the engine, resuming from its
 * ledger; destroy retains the tokens in Braze.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { defaultLedgerPath, ImportError, runImport, type ImportReport } from "../engine/import";
import { LedgerError } from "../engine/ledger";
import type { HandlerEvent } from "../manifest/constants";
import { OPERATOR_ENV } from "../manifest/constants";
import type { BatchManifest } from "../manifest/manifest";
import { TokenSourceError } from "../tokens/errors";
import type { ColumnMapping, TokenSourceOptions } from "../tokens/types";
import { brazeFailure } from "./braze-failure";
import type { HandlerContext } from "./handler-context";
import { HandlerError } from "./handler-error";

/** Reconciles one TokenImportBatch resource. */
export async function handleBatch(
  event: HandlerEvent,
  manifest: BatchManifest,
  ctx: HandlerContext,
): Promise<void> {
  const path = manifest.construct_path;
  if (event === "destroy") {
    ctx.log(
      `[${path}] retained: the ${manifest.counts.valid} tokens of ${manifest.source} stay in ` +
        `Braze (${manifest.digest.slice(0, 19)}…); destroy only drops the resource from the state`,
    );
    return;
  }

  const file = resolve(ctx.cwd, manifest.file);
  if (!existsSync(file)) {
    throw new HandlerError(
      "HANDLER_CONFIG",
      path,
      `the copy of ${manifest.source} is missing at ${manifest.file} (relative to ${ctx.cwd}): ` +
        "run terraform in the synthesised stack directory, as `braze-push-migrate apply` does",
    );
  }
  // relative to where the process runs, so messages about the file name no machine path
  const source = sourceOptions(manifest, relative(process.cwd(), file));
  const ledgerDir = ctx.env[OPERATOR_ENV.ledgerDir];
  const ledgerPath = defaultLedgerPath(
    { appId: manifest.app_id, ledgerDir: ledgerDir || undefined, source },
    manifest.digest,
  );
  const resendInDoubt = ctx.env[OPERATOR_ENV.resendInDoubt] === "1";
  announce(manifest, ctx, ledgerPath, resendInDoubt);

  const client = ctx.client(manifest);
  let report: ImportReport;
  try {
    report = await runImport({
      source,
      appId: manifest.app_id,
      ledgerPath: isAbsolute(ledgerPath) ? ledgerPath : join(ctx.cwd, ledgerPath),
      client,
      resendInDoubt,
      expectedDigest: manifest.digest,
    });
  } catch (err) {
    if (err instanceof ImportError) {
      const cause = err.cause;
      if (cause instanceof HandlerError) throw cause;
      throw new HandlerError(
        "IMPORT_STOPPED",
        path,
        `${err.message}; what landed is in the ledger, the next apply resumes from it`,
        { cause: err },
      );
    }
    if (err instanceof TokenSourceError || err instanceof LedgerError) {
      throw new HandlerError("HANDLER_CONFIG", path, err.message, { cause: err });
    }
    throw brazeFailure(path, err);
  } finally {
    await client.close();
  }
  settle(manifest, ctx, report);
}

/** Says what this run will send before it sends anything. */
function announce(
  manifest: BatchManifest,
  ctx: HandlerContext,
  ledgerPath: string,
  resendInDoubt: boolean,
): void {
  const path = manifest.construct_path;
  const resolved = isAbsolute(ledgerPath) ? ledgerPath : join(ctx.cwd, ledgerPath);
  if (!existsSync(resolved)) {
    const rewrite =
      manifest.mode === "identified"
        ? "; identified rows set the token and the attributes of their external_id"
        : "; Braze ignores tokens it already has";
    ctx.log(
      `[${path}] sending all ${manifest.counts.valid} valid rows of ${manifest.source} to ` +
        `app ${manifest.app_path} (${manifest.mode}): no ledger yet${rewrite}`,
    );
    return;
  }
  const doubt =
    manifest.mode === "identified" && !resendInDoubt
      ? "; identified rows in doubt are listed, not sent"
      : "; rows in doubt are sent again";
  ctx.log(
    `[${path}] resuming ${manifest.source} from its ledger: rows Braze confirmed are skipped${doubt}`,
  );
}

/** Fails the resource unless every valid token was accepted. */
function settle(manifest: BatchManifest, ctx: HandlerContext, report: ImportReport): void {
  const path = manifest.construct_path;
  const o = report.outcomes ?? { sent: 0, accepted: 0, rejected: 0, unknown: 0 };
  const earlier = report.settledBefore > 0 ? ` (${report.settledBefore} by an earlier run)` : "";
  ctx.log(
    `[${path}] ${o.accepted} accepted${earlier}, ${o.rejected} rejected by Braze, ` +
      `${o.unknown + o.sent} in doubt, ${report.requests} requests`,
  );
  if (report.complete) return;

  const rejections = report.brazeRejections;
  if (o.rejected > 0 && rejections.every((r) => r.code === "BAD_PUSH_TOKEN_APP_ID")) {
    throw new HandlerError(
      "APP_ID_REJECTED",
      path,
      `Braze rejected app_id ${manifest.app_id} of app ${manifest.app_path} for ${o.rejected} ` +
        "tokens (BAD_PUSH_TOKEN_APP_ID): fix the appId of that construct",
    );
  }
  if (o.rejected > 0) {
    const first = rejections
      .slice(0, 5)
      .map((r) => `line ${r.line}: ${r.code}`)
      .join("; ");
    throw new HandlerError(
      "IMPORT_INCOMPLETE",
      path,
      `Braze rejected ${o.rejected} tokens of ${manifest.source} (${first}); the others are in ` +
        "Braze. Fix or remove those rows: the new digest replaces the batch",
    );
  }
  const lines = report.linesInDoubt.join(", ");
  throw new HandlerError(
    "IMPORT_INCOMPLETE",
    path,
    `${o.unknown + o.sent} tokens of ${manifest.source} are in doubt (lines ${lines}): their ` +
      "request may have landed. Re-sending identified rows rewrites those users' attributes; " +
      `to send them, apply again with --resend-in-doubt (${OPERATOR_ENV.resendInDoubt}=1)`,
  );
}

/** The token source options a manifest describes, for the copy of its file at `file`. */
export function sourceOptions(manifest: BatchManifest, file: string): TokenSourceOptions {
  const columns: Record<string, unknown> = { ...manifest.columns };
  columns.customAttributes = manifest.attributes;
  return {
    file,
    platform: manifest.platform,
    mode: manifest.mode,
    preset: manifest.preset,
    format: manifest.format,
    columns: columns as ColumnMapping,
    acceptInstallationIds: manifest.accept_installation_ids,
  };
}
