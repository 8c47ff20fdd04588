import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { defaultLedgerPath } from "../engine/import";
import {
  checkDrift,
  DRIFT_EXIT_ERROR,
  driftExitCode,
  formatDriftJson,
  formatDriftMarkdown,
  type DeclaredBatch,
  type DriftReport,
} from "../drift";
import { sourceOptions } from "../handlers/batch-handler";
import { endpointOf, processContext } from "../handlers/handler-context";
import { OPERATOR_ENV } from "../manifest/constants";
import type { Manifest } from "../manifest/manifest";
import { appliedManifests, WorkflowError } from "../workflow";
import { fail, log } from "./output";

interface DriftFlags {
  app?: string;
  output?: string;
  stack?: string;
  skipSynth?: boolean;
  json?: boolean;
  format?: string;
  segmentId?: string;
  deviceIdThreshold?: string;
}

// the segment holding every user in the emulator, unless its config names another
const EMULATOR_ALL_USERS = "all-users";

type BatchManifest = Extract<Manifest, { kind: "token-import-batch" }>;

/**
 * `braze-push-migrate drift`: every token of the batches Terraform applied (read from the
 * stack's state) against what Braze holds now; exit 0 when nothing needs action, 2 when tokens
 * are missing, moved or undeclared, 1 when the check could not run.
 */
export function registerDriftCommand(program: Command): void {
  program
    .command("drift")
    .description("compare the applied batches' tokens with what Braze holds now")
    .option("--app <command>", "the command that synthesises the app (default: cdktf.json's app)")
    .option("--output <dir>", "the synth output folder (default: cdktf.json's output, cdktf.out)")
    .option("--stack <name>", "the stack to check (needed when the app has several)")
    .option("--skip-synth", "use the synthesised folder as it is (e.g. from an earlier CI job)")
    .option("--json", "print the report as one JSON object")
    .option("--format <format>", "text, markdown (for a pull-request comment) or json", "text")
    .option(
      "--segment-id <id>",
      "a segment holding every user, for anonymous batches and undeclared tokens " +
        `(default against the emulator: ${EMULATOR_ALL_USERS})`,
    )
    .option(
      "--device-id-threshold <n>",
      "anonymous batches up to this many tokens are checked by device_id when no segment is given",
    )
    .action(async (flags: DriftFlags) => {
      const format = flags.json ? "json" : (flags.format ?? "text");
      if (!["text", "markdown", "json"].includes(format)) {
        fail(`--format must be text, markdown or json, got "${format}"`);
      }
      let threshold: number | undefined;
      if (flags.deviceIdThreshold !== undefined) {
        threshold = Number(flags.deviceIdThreshold);
        if (!Number.isInteger(threshold) || threshold < 0) {
          fail(`--device-id-threshold must be a whole number, got "${flags.deviceIdThreshold}"`);
        }
      }

      let report: DriftReport;
      try {
        report = await runDrift(flags, threshold, format === "text");
      } catch (err) {
        if (err instanceof WorkflowError) fail(err.message, err.exitCode);
        fail(err instanceof Error ? err.message : String(err), DRIFT_EXIT_ERROR);
      }
      if (format === "json") console.log(formatDriftJson(report));
      else if (format === "markdown") console.log(formatDriftMarkdown(report));
      else console.log(formatDriftText(report));
      process.exitCode = driftExitCode(report);
    });
}

async function runDrift(
  flags: DriftFlags,
  deviceIdThreshold: number | undefined,
  chatty: boolean,
): Promise<DriftReport> {
  const cwd = process.cwd();
  const applied = await appliedManifests({
    cwd,
    app: flags.app,
    output: flags.output,
    stack: flags.stack,
    skipSynth: flags.skipSynth === true,
    // terraform's own output to stderr: stdout carries the report
    json: true,
    cliScript: join(__dirname, "index.js"),
    log: chatty ? log : () => undefined,
  });
  const manifests = applied.manifests.filter(
    (m): m is BatchManifest => m.kind === "token-import-batch",
  );
  if (manifests.length === 0) {
    log(`stack ${applied.stack.name} has no applied token import batch: nothing declared to check`);
  }

  const ledgerDir =
    process.env[OPERATOR_ENV.ledgerDir] ?? resolve(cwd, ".braze-push-migrate", "ledgers");
  const batches: DeclaredBatch[] = manifests.map((m) => {
    // the manifest's file is relative to the stack's directory, where terraform ran
    const file = relative(cwd, resolve(applied.stack.dir, m.file));
    const source = sourceOptions(m, file);
    return {
      id: m.construct_path,
      appId: m.app_id,
      appName: m.app_name,
      platform: m.platform,
      mode: m.mode,
      source,
      digest: m.digest,
      tokens: m.counts.valid,
      ledgerPath: defaultLedgerPath({ appId: m.app_id, ledgerDir, source }, m.digest),
    };
  });

  // one workspace per stack: the client of its first resource (endpoint and key variable)
  const first = applied.manifests[0];
  if (first === undefined) {
    throw new Error(
      `stack ${applied.stack.name} has nothing applied: run braze-push-migrate apply first`,
    );
  }
  const context = processContext(process.env, log);
  let segmentId = flags.segmentId;
  if (
    segmentId === undefined &&
    (await context.emulator.isEmulator(endpointOf(first, process.env)))
  ) {
    segmentId = EMULATOR_ALL_USERS;
    if (chatty) log(`the endpoint is the local emulator: segment ${segmentId} holds every user`);
  }
  const client = context.client(first);
  try {
    return await checkDrift(client, batches, { segmentId, deviceIdThreshold });
  } finally {
    await client.close();
  }
}

/** The report for a terminal: the summary, then each batch and its drifted tokens. */
function formatDriftText(report: DriftReport): string {
  const s = report.summary;
  const lines = [
    `declared ${s.declared}: in_sync ${s.in_sync}, missing ${s.missing}, claimed_by_sdk ` +
      `${s.claimed_by_sdk}, moved ${s.moved}, removed ${s.removed}, not_checked ` +
      `${s.not_checked}; undeclared ${s.undeclared}`,
  ];
  for (const batch of report.batches) {
    lines.push(`batch ${batch.id} (${batch.mode}, ${batch.method}): ${countsText(batch.counts)}`);
    for (const d of batch.drifted)
      lines.push(`  line ${d.line} ${d.token}: ${d.state}: ${d.reason}`);
    if (batch.driftedNotListed > 0) lines.push(`  … and ${batch.driftedNotListed} more`);
  }
  const u = report.undeclared;
  if (!u.checked) lines.push(`undeclared: not checked (${u.reason ?? "no segment export"})`);
  else if (u.count > 0)
    lines.push(`undeclared: ${u.count} token(s) of import profiles no batch lists`);
  return lines.join("\n");
}

function countsText(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`)
    .join(", ");
}
