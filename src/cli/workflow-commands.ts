import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import {
  apply,
  formatPlanMarkdown,
  formatPlanSummary,
  planReport,
  planStacks,
  synth,
  WorkflowError,
  type PlanReport,
  type WorkflowOptions,
} from "../workflow";
import { fail, log } from "./output";

interface WorkflowFlags {
  app?: string;
  output?: string;
  stack?: string;
  skipSynth?: boolean;
  json?: boolean;
  format?: string;
  autoApprove?: boolean;
  resendInDoubt?: boolean;
}

/**
 * `braze-push-migrate synth | plan | apply | destroy`: the CDKTF CLI's workflow without it.
 * synth runs the app command with CDKTF_OUTDIR; the others run `terraform` (>= 1.4, on PATH)
 * in the stack's synthesised directory, with this CLI on terraform's PATH for the handlers.
 */
export function registerWorkflowCommands(program: Command): void {
  common(program.command("synth").description("synthesise the stacks into Terraform JSON")).action(
    async (flags: WorkflowFlags) => {
      await guard(async () => {
        const stacks = await synth(options(flags));
        if (flags.json) console.log(JSON.stringify({ stacks }));
        else for (const s of stacks) console.log(`${s.name}: ${s.dir}`);
      });
    },
  );

  common(
    program
      .command("plan")
      .description(
        "synth, then plan the stack (every stack without --stack) and summarise the plan; " +
          "exit 0: no changes, 2: changes, 1: an error",
      ),
    "the stack to plan (default: every stack)",
  )
    .option("--json", "print the summary as one JSON object (same as --format json)")
    .option(
      "--format <format>",
      "text, markdown (for a pull-request comment) or json; with markdown and json terraform's " +
        "output goes to stderr",
      "text",
    )
    .action(async (flags: WorkflowFlags) => {
      await guard(async () => {
        const format = planFormat(flags);
        const report = await planStacks({ ...options(flags), json: format !== "text" });
        console.log(formatReport(format, report));
        // as terraform plan -detailed-exitcode
        process.exitCode = report.changed ? 2 : 0;
      });
    });

  for (const destroy of [false, true]) {
    common(
      program
        .command(destroy ? "destroy" : "apply")
        .description(
          destroy
            ? "plan the stack's destruction (tokens stay in Braze) and apply it"
            : "synth, plan, summarise, then apply the plan through terraform and the handlers",
        ),
    )
      .option("--auto-approve", "apply without asking (CI)")
      .option(
        "--resend-in-doubt",
        "identified batches: re-send rows whose earlier request may have landed",
      )
      .option("--json", "print the plan summary as one JSON object")
      .action(async (flags: WorkflowFlags) => {
        await guard(async () => {
          await apply(
            {
              ...options(flags),
              autoApprove: flags.autoApprove === true,
              resendInDoubt: flags.resendInDoubt === true,
              confirm: process.stdin.isTTY ? confirm : undefined,
              print: (lines, summary) =>
                console.log(flags.json ? JSON.stringify(planReport([summary])) : lines.join("\n")),
            },
            destroy,
          );
        });
      });
  }
}

function common(
  command: Command,
  stackHelp = "the stack to work on (needed when the app has several)",
): Command {
  return command
    .option("--app <command>", "the command that synthesises the app (default: cdktf.json's app)")
    .option("--output <dir>", "the synth output folder (default: cdktf.json's output, cdktf.out)")
    .option("--stack <name>", stackHelp)
    .option("--skip-synth", "use the synthesised folder as it is (e.g. from an earlier CI job)");
}

function options(flags: WorkflowFlags): WorkflowOptions {
  return {
    cwd: process.cwd(),
    app: flags.app,
    output: flags.output,
    stack: flags.stack,
    skipSynth: flags.skipSynth === true,
    json: flags.json === true,
    // dist/src/cli/index.js, the script this process runs
    cliScript: join(__dirname, "index.js"),
    log,
  };
}

type PlanFormat = "text" | "markdown" | "json";

function planFormat(flags: WorkflowFlags): PlanFormat {
  const format = flags.format ?? "text";
  if (format !== "text" && format !== "markdown" && format !== "json") {
    throw new WorkflowError(
      "BAD_OPTION",
      `--format must be text, markdown or json, got "${format}"`,
    );
  }
  if (flags.json === true && format !== "text" && format !== "json") {
    throw new WorkflowError(
      "BAD_OPTION",
      `--json and --format ${format} ask for two formats: give one`,
    );
  }
  return flags.json === true ? "json" : format;
}

function formatReport(format: PlanFormat, report: PlanReport): string {
  if (format === "json") return JSON.stringify(report, null, 2);
  if (format === "markdown") return formatPlanMarkdown(report).trimEnd();
  return report.stacks.map((s) => formatPlanSummary(s).join("\n")).join("\n\n");
}

async function confirm(): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question("apply this plan? only 'yes' is accepted: ");
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}

async function guard(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof WorkflowError) fail(err.message, err.exitCode);
    throw err;
  }
}
