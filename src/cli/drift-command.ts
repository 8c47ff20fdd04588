import { join } from "node:path";
import type { Command } from "commander";
import { DRIFT_EXIT_ERROR, formatDriftJson, formatDriftMarkdown, type DriftReport } from "../drift";
import { WorkflowError } from "../workflow";
import {
  checkStackDrift,
  EMULATOR_ALL_USERS,
  stackDriftExitCode,
  type StackDriftReport,
} from "../workflow/stack-drift";
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

      let report: StackDriftReport;
      try {
        report = await checkStackDrift({
          cwd: process.cwd(),
          app: flags.app,
          output: flags.output,
          stack: flags.stack,
          skipSynth: flags.skipSynth === true,
          // terraform's own output to stderr: stdout carries the report
          json: true,
          cliScript: join(__dirname, "index.js"),
          log: format === "text" ? log : () => undefined,
          segmentId: flags.segmentId,
          deviceIdThreshold: threshold,
        });
      } catch (err) {
        if (err instanceof WorkflowError) fail(err.message, err.exitCode);
        fail(err instanceof Error ? err.message : String(err), DRIFT_EXIT_ERROR);
      }
      if (format === "json") {
        // the engine's versioned report, with the receiver settings added
        const json = JSON.parse(formatDriftJson(report)) as Record<string, unknown>;
        console.log(JSON.stringify({ ...json, receiverSettings: report.receiverSettings }));
      } else if (format === "markdown") {
        console.log([formatDriftMarkdown(report), ...receiversMarkdown(report)].join("\n"));
      } else {
        console.log([formatDriftText(report), ...receiversText(report)].join("\n"));
      }
      process.exitCode = stackDriftExitCode(report);
    });
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

function receiversText(report: StackDriftReport): string[] {
  return report.receiverSettings.flatMap(({ id, status }) => [
    `receiver setting ${id} (${status.receiver}, flatten ${status.flatten}): ${status.state}: ${status.detail}`,
    ...(status.requestText === undefined
      ? []
      : [`  request to send to Braze:`, indent(status.requestText)]),
  ]);
}

function receiversMarkdown(report: StackDriftReport): string[] {
  if (report.receiverSettings.length === 0) return [];
  const lines = ["", "### Android receiver settings", ""];
  for (const { id, status } of report.receiverSettings) {
    lines.push(
      `- \`${id}\` (${status.receiver}, flatten ${status.flatten}): **${status.state}**. ${status.detail}`,
    );
    if (status.requestText !== undefined) {
      lines.push("", "  <details><summary>Request to send to Braze</summary>", "", "  ```text");
      lines.push(indent(status.requestText), "  ```", "  </details>");
    }
  }
  return lines;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
