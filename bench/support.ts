/**
 * What both benchmarks need: the built CLI's emulator in a child process, FCM-shaped tokens
 * made cheaply, and readings of a process from /proc. Traffic stays on 127.0.0.1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The built CLI. */
export const CLI = join(__dirname, "..", "src", "cli", "index.js");

/** A running emulator child process. */
export interface EmulatorChild {
  readonly url: string;
  readonly child: ChildProcess;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts `braze-push-migrate emulator` and resolves once it prints its URL. */
export function startEmulatorChild(configFile: string, data?: string): Promise<EmulatorChild> {
  const args = [CLI, "emulator", "--port", "0", "--config", configFile];
  if (data !== undefined) args.push("--data", data);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });

  return new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`emulator exited early with code ${code}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (!match) return;
      child.removeAllListeners("exit");
      resolve({
        url: match[1],
        child,
        stop: async () => {
          const exited = once(child, "exit");
          child.kill("SIGTERM");
          await exited;
        },
      });
    });
  });
}

// xorshift32 over a 64-character alphabet: random enough that a B-tree does not see the tokens
// sorted, cheap enough that the sender is not what limits a figure
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
let seed = 0x2545f491;

/** `length` pseudo-random characters of `[A-Za-z0-9_-]`. */
export function randomChars(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    out += ALPHABET[seed & 63];
  }
  return out;
}

/** An FCM-shaped registration token, distinct for each `n`, in random order. */
export function fcmToken(n: number): string {
  return `${n.toString(36).padStart(11, "0")}:APA91b${randomChars(140)}`;
}

/**
 * Samples a process's peak resident set size (VmHWM) every 100 ms while it runs, so the figure
 * survives its exit; returns a reader of the peak in MB (0 where /proc is absent).
 */
export function watchPeakRss(child: ChildProcess): () => number {
  let peakKb = 0;
  const sample = () => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // the process has ended
    }
  };
  const timer = setInterval(sample, 100);
  child.once("exit", () => clearInterval(timer));
  return () => {
    sample();
    return Math.round(peakKb / 1024);
  };
}

/** User + system CPU time of a process, in seconds; 0 where /proc is absent. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of /proc/PID/stat; this array starts at field 3
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** `n` rounded to `digits` decimals. */
export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** What an anonymous Android import by the built CLI needs to know. */
export interface CliImport {
  readonly file: string;
  readonly appId: string;
  readonly url: string;
  readonly key: string;
  readonly ledgerDir: string;
  readonly concurrency: number;
}

/** Starts `braze-push-migrate import <file> ... --json` against `url`; stdout is its report. */
export function spawnCliImport(run: CliImport, stdout: "pipe" | "ignore"): ChildProcess {
  const args = [CLI, "import", run.file, "--app-id", run.appId, "--platform", "android"];
  args.push("--mode", "anonymous", "--ledger-dir", run.ledgerDir);
  args.push("--concurrency", String(run.concurrency), "--json");
  return spawn(process.execPath, args, {
    env: { ...process.env, BRAZE_REST_ENDPOINT: run.url, BRAZE_API_KEY: run.key },
    stdio: ["ignore", stdout, "inherit"],
  });
}
