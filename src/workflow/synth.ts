/**
 * Synth without the CDKTF CLI: run the app command (`cdktf.json`'s `app`, or `--app`) with
 * `CDKTF_OUTDIR` set, as the CDKTF CLI does, then read the manifest cdktf writes.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { WorkflowError } from "./workflow-error";

/** What `cdktf.json` says, as far as the workflow uses it. */
export interface ProjectConfig {
  /** The command that builds the app, e.g. `node dist/main.js`. */
  readonly app?: string;
  /** The synth output folder. */
  readonly output: string;
}

/** A synthesised stack. */
export interface SynthesisedStack {
  readonly name: string;
  /** Absolute path of the stack's directory, where terraform runs. */
  readonly dir: string;
}

/** Reads `cdktf.json` in `cwd`, if there is one. */
export function readProjectConfig(cwd: string): ProjectConfig {
  const file = join(cwd, "cdktf.json");
  if (!existsSync(file)) return { output: "cdktf.out" };
  const json = JSON.parse(readFileSync(file, "utf8")) as { app?: unknown; output?: unknown };
  return {
    app: typeof json.app === "string" ? json.app : undefined,
    output: typeof json.output === "string" ? json.output : "cdktf.out",
  };
}

/** Runs the app command in `cwd` with its output to stderr; fails when it exits non-zero. */
export function runApp(command: string, cwd: string, outdir: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, {
      cwd,
      shell: true,
      env: { ...process.env, CDKTF_OUTDIR: resolve(cwd, outdir) },
      stdio: ["ignore", process.stderr, process.stderr],
    });
    child.on("error", fail);
    child.on("close", (code) => {
      if (code === 0) return done();
      fail(
        new WorkflowError(
          "SYNTH_FAILED",
          `synth failed: \`${command}\` exited with ${code ?? "a signal"}; its output above ` +
            "says why",
        ),
      );
    });
  });
}

/** The stacks of a synthesised app, from `<outdir>/manifest.json`. */
export function synthesisedStacks(cwd: string, outdir: string): SynthesisedStack[] {
  const base = resolve(cwd, outdir);
  const file = join(base, "manifest.json");
  if (!existsSync(file)) {
    throw new WorkflowError(
      "SYNTH_FAILED",
      `${join(outdir, "manifest.json")} does not exist: synthesise first (drop --skip-synth)`,
    );
  }
  const manifest = JSON.parse(readFileSync(file, "utf8")) as {
    stacks?: Record<string, { workingDirectory: string }>;
  };
  return Object.entries(manifest.stacks ?? {}).map(([name, s]) => ({
    name,
    dir: join(base, s.workingDirectory),
  }));
}

/** The stack `name` names, or the only one. */
export function pickStack(stacks: SynthesisedStack[], name: string | undefined): SynthesisedStack {
  const names = stacks.map((s) => s.name).join(", ") || "none";
  if (name !== undefined) {
    const found = stacks.find((s) => s.name === name);
    if (found === undefined) {
      throw new WorkflowError(
        "STACK_UNKNOWN",
        `no stack "${name}" was synthesised (stacks: ${names})`,
      );
    }
    return found;
  }
  if (stacks.length !== 1) {
    throw new WorkflowError(
      "STACK_UNKNOWN",
      `the app has ${stacks.length} stacks (${names}): name one with --stack`,
    );
  }
  return stacks[0];
}
