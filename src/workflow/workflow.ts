/**
 * The workflow behind `braze-push-migrate synth | plan | apply | destroy`: synth the app, pick a
 * stack, and run terraform in its directory with the handler on PATH.
 */
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { OPERATOR_ENV } from "../manifest/constants";
import { manifestFromResource, type Manifest } from "../manifest/manifest";
import { createBinShim } from "./bin-shim";
import { receiverTargets } from "./plan-receivers";
import {
  formatPlanSummary,
  plannedManifests,
  planReport,
  summarisePlan,
  type PlanReport,
  type PlanSummary,
} from "./plan-summary";
import {
  pickStack,
  readProjectConfig,
  runApp,
  synthesisedStacks,
  type SynthesisedStack,
} from "./synth";
import { checkTerraform, runTerraform, terraformStep, type TerraformRunOptions } from "./terraform";
import { WorkflowError } from "./workflow-error";

/** What every workflow command takes. */
export interface WorkflowOptions {
  /** The project directory (where cdktf.json is). */
  readonly cwd: string;
  /** The app command; @default - `app` of cdktf.json */
  readonly app?: string;
  /** The synth output folder; @default - `output` of cdktf.json, else `cdktf.out` */
  readonly output?: string;
  /** The stack to work on; @default - the only one */
  readonly stack?: string;
  /** Use the synthesised directory as it is (e.g. an artifact of an earlier CI job). */
  readonly skipSynth?: boolean;
  /** The CLI script the handler shim runs. */
  readonly cliScript: string;
  /** Prints a status line. */
  readonly log: (line: string) => void;
  /** Sends terraform's own output to stderr, keeping stdout for the summary (JSON, Markdown). */
  readonly json?: boolean;
  /** Keeps terraform's own output (its stdout) out of sight; its errors still show. */
  readonly quietTerraform?: boolean;
}

/** What apply and destroy also take. */
export interface ChangeOptions extends WorkflowOptions {
  /** Apply without asking. */
  readonly autoApprove?: boolean;
  /** Asks the user to confirm the summarised plan; absent: no terminal to ask on. */
  readonly confirm?: (summary: PlanSummary) => Promise<boolean>;
  /** Identified batches re-send rows whose earlier request may have landed. */
  readonly resendInDoubt?: boolean;
  /** Prints the plan summary. */
  readonly print: (lines: string[], summary: PlanSummary) => void;
}

const PLAN_FILE = "braze-push-migrate.tfplan";

/** Synthesises the app and returns its stacks. */
export async function synth(options: WorkflowOptions): Promise<SynthesisedStack[]> {
  const config = readProjectConfig(options.cwd);
  const output = options.output ?? config.output;
  if (!options.skipSynth) {
    const app = options.app ?? config.app;
    if (app === undefined) {
      throw new WorkflowError(
        "NO_APP_COMMAND",
        "no app command: pass --app <command> or set `app` in cdktf.json",
      );
    }
    await runApp(app, options.cwd, output);
  }
  return synthesisedStacks(options.cwd, output);
}

/** One stack's plan: the summary, its lines of text; the plan file stays for apply. */
export interface StackPlan {
  readonly stack: SynthesisedStack;
  readonly summary: PlanSummary;
  readonly lines: string[];
}

/**
 * Synthesises, then plans the stack `--stack` names, or every stack when it names none, and
 * returns the report. `changed` follows `terraform plan -detailed-exitcode` of each stack.
 */
export async function planStacks(options: WorkflowOptions): Promise<PlanReport> {
  const stacks = await synth(options);
  const chosen = options.stack === undefined ? stacks : [pickStack(stacks, options.stack)];
  if (chosen.length === 0) {
    throw new WorkflowError("STACK_UNKNOWN", "the app synthesised no stack: nothing to plan");
  }
  const summaries: PlanSummary[] = [];
  for (const stack of chosen) summaries.push((await planStack(options, stack)).summary);
  return planReport(summaries);
}

/** Synthesises, then plans one stack (the only one, or `--stack`); the plan file stays. */
export async function plan(options: WorkflowOptions, destroy = false): Promise<StackPlan> {
  return planStack(options, pickStack(await synth(options), options.stack), destroy);
}

/** Plans one synthesised stack (its destruction with `destroy`) and summarises the plan. */
export async function planStack(
  options: WorkflowOptions,
  stack: SynthesisedStack,
  destroy = false,
): Promise<StackPlan> {
  return withTerraform(options, stack, false, async (run, env) => {
    const planFile = join(stack.dir, PLAN_FILE);
    const args = ["plan", "-input=false", "-detailed-exitcode", `-out=${PLAN_FILE}`];
    const planned = await runTerraform([...args, ...(destroy ? ["-destroy"] : [])], run("inherit"));
    // -detailed-exitcode: 0 no changes, 2 changes, 1 an error
    if (planned.code !== 0 && planned.code !== 2) {
      throw new WorkflowError(
        "TERRAFORM_FAILED",
        `terraform ${destroy ? "plan -destroy" : "plan"} failed (exit ${planned.code}) in ` +
          `${stack.dir}; its output above says why`,
      );
    }
    const shown = await terraformStep("show", ["show", "-json", PLAN_FILE], run("capture"));
    if (!existsSync(planFile)) throw new WorkflowError("TERRAFORM_FAILED", "no plan was written");
    const targets = await receiverTargets(plannedManifests(shown.stdout), env);
    const summary = summarisePlan(shown.stdout, {
      stack: stack.name,
      changed: planned.code === 2,
      receiverTargets: targets,
    });
    return { stack, summary, lines: formatPlanSummary(summary) };
  });
}

/** Plans, shows the summary, asks (unless auto-approved), then applies that very plan. */
export async function apply(options: ChangeOptions, destroy = false): Promise<PlanSummary> {
  const { stack, summary, lines } = await plan(options, destroy);
  options.print(lines, summary);
  const planFile = join(stack.dir, PLAN_FILE);
  try {
    if (summary.changes.length === 0 && !destroy) {
      options.log("nothing to apply");
    }
    if (!options.autoApprove) {
      if (options.confirm === undefined) {
        throw new WorkflowError(
          "NOT_CONFIRMED",
          "no terminal to confirm the plan on: pass --auto-approve (e.g. in CI)",
        );
      }
      if (!(await options.confirm(summary))) {
        throw new WorkflowError("NOT_CONFIRMED", "not applied: the plan was not confirmed", 3);
      }
    }
    await withTerraform(options, stack, true, (run) =>
      terraformStep(destroy ? "destroy" : "apply", ["apply", "-input=false", PLAN_FILE], {
        ...run("inherit"),
        env: {
          ...run("inherit").env,
          ...(options.resendInDoubt ? { [OPERATOR_ENV.resendInDoubt]: "1" } : {}),
        },
      }),
    );
  } finally {
    rmSync(planFile, { force: true });
  }
  return summary;
}

/**
 * Runs `body` with terraform checked and initialised in the stack directory, and the handler
 * shim on PATH (removed afterwards).
 */
async function withTerraform<T>(
  options: WorkflowOptions,
  stack: SynthesisedStack,
  initialised: boolean,
  body: (
    run: (output: TerraformRunOptions["output"]) => TerraformRunOptions,
    env: NodeJS.ProcessEnv,
  ) => Promise<T>,
): Promise<T> {
  const shim = createBinShim(options.cliScript);
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: shim.path(process.env.PATH),
      // ledgers outlive the synthesised directory: the project's folder, as for `import`
      [OPERATOR_ENV.ledgerDir]:
        process.env[OPERATOR_ENV.ledgerDir] ??
        resolve(options.cwd, ".braze-push-migrate", "ledgers"),
      // no version check call home unless the user asked for it
      CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? "1",
      // colour codes only on a terminal: CI logs and captured output stay plain text
      ...(process.stderr.isTTY ? {} : noColour(process.env)),
    };
    const run = (output: TerraformRunOptions["output"]) => ({
      cwd: stack.dir,
      env,
      output:
        output === "inherit" && options.quietTerraform
          ? ("capture" as const)
          : output === "inherit" && options.json
            ? ("stderr" as const)
            : output,
    });
    checkTerraform(env);
    if (!initialised) {
      options.log(`terraform init in ${stack.dir}`);
      await terraformStep("init", ["init", "-input=false"], run("inherit"));
    }
    return await body(run, env);
  } finally {
    shim.dispose();
  }
}

/** A stack and the manifests of its resources as Terraform's state holds them. */
export interface AppliedStack {
  readonly stack: SynthesisedStack;
  /** What the last apply recorded: only resources that exist in the state. */
  readonly manifests: readonly Manifest[];
}

/**
 * Synthesises (unless `skipSynth`), picks the stack, and reads its state with
 * `terraform show -json`: what was applied, which is not always what the code declares now.
 */
export async function appliedManifests(options: WorkflowOptions): Promise<AppliedStack> {
  const stack = pickStack(await synth(options), options.stack);
  return withTerraform(options, stack, false, async (run) => {
    const shown = await terraformStep("show", ["show", "-json"], run("capture"));
    const state = JSON.parse(shown.stdout || "{}") as {
      values?: { root_module?: { resources?: { values?: unknown }[] } };
    };
    const manifests: Manifest[] = [];
    for (const resource of state.values?.root_module?.resources ?? []) {
      const manifest = manifestFromResource(resource.values);
      if (manifest !== undefined) manifests.push(manifest);
    }
    return { stack, manifests };
  });
}

// terraform reads extra arguments per command from TF_CLI_ARGS_<command>; a caller's own win
function noColour(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const command of ["init", "plan", "apply", "show"]) {
    const name = `TF_CLI_ARGS_${command}`;
    out[name] = env[name] ?? "-no-color";
  }
  return out;
}
