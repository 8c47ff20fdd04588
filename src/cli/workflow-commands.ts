import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { apply, plan, synth, WorkflowError, type WorkflowOptions } from "../workflow";
import type { PlanSummary } from "../workflow/plan-summary";
import { fail, log } from "./output";

interface WorkflowFlags {
  app?: string;
  output?: string;
  stack?: string;
  skipSynth?: boolean;
  json?: boolean;
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

  common(program.command("plan").description("synth, then plan a stack and summarise the plan"))
    .option("--json", "print the summary as one JSON object (terraform's output goes to stderr)")
    .action(async (flags: WorkflowFlags) => {
      await guard(async () => {
        const { summary, lines } = await plan(options(flags));
        printSummary(flags, lines, summary);
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
              print: (lines, summary) => printSummary(flags, lines, summary),
            },
            destroy,
          );
        });
      });
  }
}

function common(command: Command): Command {
  return command
    .option("--app <command>", "the command that synthesises the app (default: cdktf.json's app)")
    .option("--output <dir>", "the synth output folder (default: cdktf.json's output, cdktf.out)")
    .option("--stack <name>", "the stack to work on (needed when the app has several)")
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

function printSummary(flags: WorkflowFlags, lines: string[], summary: PlanSummary): void {
  console.log(flags.json ? JSON.stringify(summary) : lines.join("\n"));
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
