import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The built CLI, as a user runs it. */
export const CLI = join(__dirname, "..", "..", "dist", "src", "cli", "index.js");

/** What a finished CLI run printed. */
export interface CliRun {
  readonly code: number | null;
  /** stdout and stderr together, without terminal colours. */
  readonly output: string;
  /** stdout alone. */
  readonly stdout: string;
}

/** Every line any CLI run of a test file printed, for the scans at the end. */
export const capturedLogs: string[] = [];

/** Starts the built CLI; `done` resolves when it exits. */
export function startCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: "pipe" });
  let output = "";
  let stdout = "";
  child.stdout!.on("data", (c: Buffer) => {
    output += c.toString();
    stdout += c.toString();
  });
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const done = new Promise<CliRun>((resolve) => {
    child.on("close", (code) => {
      // terminal colours (ESC [ ... m) out, so assertions read plain text
      const clean = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
      capturedLogs.push(clean);
      resolve({ code, output: clean, stdout });
    });
  });
  return { child, done };
}

/** Runs the built CLI to its end. */
export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliRun> {
  return startCli(args, cwd, env).done;
}

/** The processes below `pid` (Linux /proc). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // the field after the parenthesised command name is the state, then the parent's pid
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The command line of a process, or [] when it is gone. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) out.push(...filesUnder(file));
    else out.push(file);
  }
  return out;
}

/** Waits until `check` holds, polling; fails after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
