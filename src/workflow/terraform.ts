/**
 * Running the `terraform` binary found on PATH: the version check, and commands in a stack
 * directory with their output passed through or captured.
 */
import { spawn, spawnSync } from "node:child_process";
import { MIN_TERRAFORM_VERSION } from "../manifest/constants";
import { WorkflowError } from "./workflow-error";

/** How to run terraform. */
export interface TerraformRunOptions {
  /** The synthesised stack directory. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /**
   * `inherit`: output goes to the user; `stderr`: to the user's stderr (keeping stdout for
   * JSON); `capture`: stdout returned as text.
   */
  readonly output: "inherit" | "stderr" | "capture";
}

/** What a finished terraform command left. */
export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
}

/** The version of terraform on PATH; fails when it is missing or older than 1.4. */
export function checkTerraform(env: NodeJS.ProcessEnv): string {
  const run = spawnSync("terraform", ["version", "-json"], { env, encoding: "utf8" });
  if (run.error !== undefined) {
    const missing = (run.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new WorkflowError(
      "TERRAFORM_MISSING",
      missing
        ? `terraform was not found on PATH: install Terraform ${MIN_TERRAFORM_VERSION} or later ` +
            "and put it on PATH"
        : `terraform could not be run: ${run.error.message}`,
    );
  }
  let version: string | undefined;
  try {
    version = (JSON.parse(run.stdout) as { terraform_version?: string }).terraform_version;
  } catch {
    version = /Terraform v(\d+\.\d+\.\d+)/.exec(run.stdout)?.[1];
  }
  if (version === undefined || compareVersions(version, MIN_TERRAFORM_VERSION) < 0) {
    throw new WorkflowError(
      "TERRAFORM_TOO_OLD",
      `terraform ${version ?? "(unknown version)"} is too old: terraform_data needs Terraform ` +
        `${MIN_TERRAFORM_VERSION} or later`,
    );
  }
  return version;
}

/** Runs `terraform <args>`; resolves with the exit code, never throws on a non-zero one. */
export function runTerraform(
  args: string[],
  options: TerraformRunOptions,
): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("terraform", args, {
      cwd: options.cwd,
      env: options.env,
      stdio:
        options.output === "capture"
          ? ["ignore", "pipe", "inherit"]
          : ["inherit", options.output === "stderr" ? process.stderr : "inherit", "inherit"],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(chunks).toString("utf8"),
      });
    });
  });
}

/** Runs terraform and fails with the step's name when it exits non-zero. */
export async function terraformStep(
  step: string,
  args: string[],
  options: TerraformRunOptions,
): Promise<TerraformResult> {
  const result = await runTerraform(args, options);
  if (result.code !== 0) {
    throw new WorkflowError(
      "TERRAFORM_FAILED",
      `terraform ${step} failed (exit ${result.code}) in ${options.cwd}; its output above says why`,
    );
  }
  return result;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((n) => parseInt(n, 10));
  const pb = b.split(".").map((n) => parseInt(n, 10));
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
