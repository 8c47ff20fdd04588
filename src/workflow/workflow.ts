/**
 * The workflow behind `braze-push-migrate synth | plan | apply | destroy`: synth the app, pick a
 * stack, and run terraform in its directory with the handler on PATH.
 */
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { OPERATOR_ENV } from "../manifest/constants";
import { manifestFromResource, type Manifest } from "../manifest/manifest";
import { createBinShim } from "./bin-shim";
import { formatPlanSummary, summarisePlan, type PlanSummary } from "./plan-summary";
import {
  pickStack,
  readProjectConfig,
  runApp,
  synthesisedStacks,
  type SynthesisedStack,
} from "./synth";
import { checkTerraform, terraformStep, type TerraformRunOptions } from "./terraform";
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
  /** Sends terraform's own output to stderr, keeping stdout for JSON. */
  readonly json?: boolean;
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

/** Synthesises, plans, and returns the summary (the plan file stays for apply). */
export async function plan(
  options: WorkflowOptions,
  destroy = false,
): Promise<{ stack: SynthesisedStack; summary: PlanSummary; lines: string[] }> {
  const stack = pickStack(await synth(options), options.stack);
  return withTerraform(options, stack, false, async (run) => {
    const planFile = join(stack.dir, PLAN_FILE);
    await terraformStep(
      destroy ? "plan -destroy" : "plan",
      ["plan", "-input=false", `-out=${PLAN_FILE}`, ...(destroy ? ["-destroy"] : [])],
      run("inherit"),
    );
    const shown = await terraformStep("show", ["show", "-json", PLAN_FILE], run("capture"));
    if (!existsSync(planFile)) throw new WorkflowError("TERRAFORM_FAILED", "no plan was written");
    const summary = summarisePlan(shown.stdout);
    return { stack, summary, lines: formatPlanSummary(stack.name, summary) };
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
  body: (run: (output: TerraformRunOptions["output"]) => TerraformRunOptions) => Promise<T>,
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
    };
    const run = (output: TerraformRunOptions["output"]) => ({
      cwd: stack.dir,
      env,
      output: output === "inherit" && options.json ? ("stderr" as const) : output,
    });
    checkTerraform(env);
    if (!initialised) {
      options.log(`terraform init in ${stack.dir}`);
      await terraformStep("init", ["init", "-input=false"], run("inherit"));
    }
    return await body(run);
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
