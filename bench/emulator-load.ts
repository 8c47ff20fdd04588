/**
 * Load test of the emulator's /users/track with 75-object anonymous imports.
 *
 * Starts the built CLI's emulator in a child process (so it has a core of its own), sends
 * requests from this process through a keep-alive pool, and prints one JSON line with the
 * requests/s and tokens/s the emulator sustained. Bounded in requests and in time; traffic goes
 * to 127.0.0.1 only.
 *
 *   npm run bench:emulator -- [--requests 20000] [--seconds 60] [--concurrency 64] [--data file]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { cpuSeconds, fcmToken, round, startEmulatorChild, watchPeakRss } from "./support";

interface Options {
  requests: number;
  seconds: number;
  concurrency: number;
  data?: string;
}

const APP_ID = "bench-android";
const KEY = "bench-key";
const OBJECTS = 75;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "braze-emulator-bench-"));
  const configFile = join(dir, "config.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      apiKeys: { [KEY]: "*" },
      apps: [{ appId: APP_ID, name: "Bench Android", platform: "android" }],
      // the rate limit is lifted so the figure is the emulator's own capacity
      rateLimits: { usersTrack: { limit: 1_000_000_000, windowSeconds: 1 } },
      requestLogSize: 10000,
    }),
  );

  const emulator = await startEmulatorChild(configFile, options.data);
  const { url } = emulator;
  const pid = emulator.child.pid!;
  const peakRss = watchPeakRss(emulator.child);
  const cpuBefore = cpuSeconds(pid);
  const pool = new Pool(url, { connections: Math.min(options.concurrency, 64), pipelining: 1 });

  let next = 0;
  let ok = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + options.seconds * 1000;

  const worker = async () => {
    while (next < options.requests && Date.now() < deadline) {
      const n = next++;
      const body = anonymousImportBody(n);
      const res = await pool.request({
        path: "/users/track",
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body,
      });
      await res.body.dump();
      if (res.statusCode === 201) ok += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakRssMb = peakRss();
  const emulatorCpu = cpuSeconds(pid) - cpuBefore;

  await pool.close();
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });

  console.log(
    JSON.stringify({
      bench: "emulator-users-track",
      requests: ok,
      failed,
      objects_per_request: OBJECTS,
      tokens: ok * OBJECTS,
      seconds: round(seconds),
      requests_per_s: round(ok / seconds),
      tokens_per_s: round((ok * OBJECTS) / seconds),
      concurrency: options.concurrency,
      storage: options.data === undefined ? "memory" : "file",
      emulator_rss_mb: peakRssMb,
      // the emulator's own CPU time: requests per CPU-second is its capacity on one core,
      // whatever the sender took of the other
      emulator_cpu_s: round(emulatorCpu),
      requests_per_emulator_cpu_s: emulatorCpu > 0 ? round(ok / emulatorCpu) : null,
    }),
  );
}

function anonymousImportBody(n: number): string {
  const objects: string[] = [];
  for (let i = 0; i < OBJECTS; i++) {
    const token = fcmToken(n * OBJECTS + i);
    objects.push(
      `{"push_token_import":true,"push_tokens":[{"app_id":"${APP_ID}","token":"${token}"}]}`,
    );
  }
  return `{"attributes":[${objects.join(",")}]}`;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { requests: 20000, seconds: 60, concurrency: 64 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--data") options.data = value;
    else if (flag === "--requests") options.requests = positive(flag, value);
    else if (flag === "--seconds") options.seconds = positive(flag, value);
    else if (flag === "--concurrency") options.concurrency = positive(flag, value);
    else
      throw new Error(`unknown option ${flag}; use --requests, --seconds, --concurrency, --data`);
  }
  return options;
}

function positive(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive whole number`);
  return n;
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
