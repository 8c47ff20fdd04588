/**
 * Import benchmark: the built CLI imports a generated file of anonymous FCM tokens into the
 * emulator, configured with Braze's documented ceiling (3,000 requests per 3 s, 75 objects a
 * request: 75,000 tokens/s) and a latency like Braze's; then a naive one-request-at-a-time loop
 * runs for a bounded time as the baseline. Prints one JSON line for each.
 *
 *   npm run bench -- [--tokens 1000000] [--latency 100] [--baseline-seconds 20]
 *                    [--concurrency 160] [--emulator-data 1]
 *
 * An import validates the whole file before it sends anything, so the engine's line gives both
 * figures: `utilisation` over the whole run, and `send_utilisation` over the sending pass, which
 * is what the request pacing controls. The emulator keeps its state in memory unless
 * `--emulator-data 1` (a SQLite file, slower to write); its RSS is not the importer's.
 *
 * Traffic goes to 127.0.0.1 only; both runs end by themselves.
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { request } from "undici";
import {
  type EmulatorChild,
  cpuSeconds,
  fcmToken,
  round,
  spawnCliImport,
  startEmulatorChild,
  watchPeakRss,
} from "./support";

const APP_ID = "bench-android";
const KEY = "bench-key";
const LIMIT = 3000;
const WINDOW_SECONDS = 3;
const OBJECTS = 75;

interface Options {
  tokens: number;
  latency: number;
  baselineSeconds: number;
  concurrency: number;
  emulatorData: number;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "braze-import-bench-"));
  try {
    const file = join(dir, "android.ndjson");
    await writeTokens(file, options.tokens);
    const configFile = join(dir, "emulator.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        apiKeys: { [KEY]: "*" },
        apps: [{ appId: APP_ID, name: "Bench Android", platform: "android" }],
        rateLimits: { usersTrack: { limit: LIMIT, windowSeconds: WINDOW_SECONDS } },
        latency: { fixedMs: options.latency },
        requestLogSize: 200000,
      }),
    );
    const data = options.emulatorData ? join(dir, "state.sqlite") : undefined;
    const emulator = await startEmulatorChild(configFile, data);
    try {
      console.log(JSON.stringify(await engineRun(options, file, dir, emulator)));
      await admin(emulator.url, "/reset");
      console.log(JSON.stringify(await naiveRun(options, emulator.url)));
    } finally {
      await emulator.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ceiling = (LIMIT / WINDOW_SECONDS) * OBJECTS;

async function engineRun(options: Options, file: string, dir: string, emulator: EmulatorChild) {
  const { url } = emulator;
  const emulatorCpu = cpuSeconds(emulator.child.pid!);
  const started = Date.now();
  const child = spawnCliImport(
    {
      file,
      appId: APP_ID,
      url,
      key: KEY,
      ledgerDir: join(dir, "ledgers"),
      concurrency: options.concurrency,
    },
    "pipe",
  );
  let stdout = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  const peak = watchPeakRss(child);
  const [code] = (await once(child, "exit")) as [number | null];
  const seconds = (Date.now() - started) / 1000;
  if (code !== 0) throw new Error(`import exited with ${code}: ${stdout.slice(0, 500)}`);

  const report = JSON.parse(stdout) as {
    outcomes: { accepted: number };
    seconds: { validate: number; send: number };
  };
  const tooMany = await count429(url);
  const tokens = report.outcomes.accepted;
  return {
    bench: "import",
    run: "engine",
    tokens,
    seconds: round(seconds),
    tokens_per_s: round(tokens / seconds),
    ceiling_tokens_per_s: ceiling,
    utilisation: round(tokens / seconds / ceiling, 3),
    validate_seconds: round(report.seconds.validate),
    send_seconds: round(report.seconds.send),
    send_tokens_per_s: round(tokens / report.seconds.send),
    send_utilisation: round(tokens / report.seconds.send / ceiling, 3),
    http_429: tooMany,
    latency_ms: options.latency,
    concurrency: options.concurrency,
    peak_rss_mb: peak(),
    emulator_cpu_s: round(cpuSeconds(emulator.child.pid!) - emulatorCpu),
    emulator_state: options.emulatorData ? "file" : "memory",
  };
}

// one request at a time, as a one-off script would do it, for a bounded time
async function naiveRun(options: Options, url: string) {
  const deadline = Date.now() + options.baselineSeconds * 1000;
  const started = Date.now();
  let sent = 0;
  let n = 0;
  while (Date.now() < deadline) {
    const attributes = [];
    for (let i = 0; i < OBJECTS; i++) {
      attributes.push({
        push_token_import: true,
        push_tokens: [{ app_id: APP_ID, token: fcmToken(10_000_000 + n++) }],
      });
    }
    const res = await request(`${url}/users/track`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ attributes }),
    });
    await res.body.dump();
    if (res.statusCode === 201) sent += OBJECTS;
  }
  const seconds = (Date.now() - started) / 1000;
  return {
    bench: "import",
    run: "naive-baseline",
    tokens: sent,
    seconds: round(seconds),
    tokens_per_s: round(sent / seconds),
    ceiling_tokens_per_s: ceiling,
    utilisation: round(sent / seconds / ceiling, 3),
    latency_ms: options.latency,
  };
}

async function writeTokens(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    if (!out.write(`{"token":"${fcmToken(i)}"}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

async function count429(url: string): Promise<number> {
  const res = await request(`${url}/_emulator/requests?limit=200000`);
  const body = (await res.body.json()) as { requests: { status: number }[] };
  return body.requests.filter((r) => r.status === 429).length;
}

async function admin(url: string, path: string): Promise<void> {
  const res = await request(`${url}/_emulator${path}`, { method: "POST" });
  await res.body.dump();
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    tokens: 1_000_000,
    latency: 100,
    baselineSeconds: 20,
    concurrency: 160,
    emulatorData: 0,
  };
  const names: Record<string, keyof Options> = {
    "--tokens": "tokens",
    "--latency": "latency",
    "--baseline-seconds": "baselineSeconds",
    "--concurrency": "concurrency",
    "--emulator-data": "emulatorData",
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    const value = Number(argv[i + 1]);
    if (name === undefined) {
      throw new Error(`unknown option ${argv[i]}; use ${Object.keys(names).join(", ")}`);
    }
    if (!Number.isInteger(value) || value < 0) throw new Error(`${argv[i]} needs a whole number`);
    options[name] = value;
  }
  return options;
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
