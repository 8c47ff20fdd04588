/**
 * Drift benchmark: the built CLI imports a generated file of N anonymous FCM tokens into an
 * emulator child process (with its ledger), a few tokens are then moved away by admin actions,
 * and `checkDrift` runs in this process over the whole batch: a segment export of the
 * workspace streamed into the on-disk index, the file read twice, every token decided, the
 * undeclared tokens counted. Prints one JSON line per size: tokens, seconds, peak RSS of this
 * process during the check (the emulator's is its own), states found.
 *
 *   npm run bench:drift -- [--tokens 100000,1000000]
 *
 * Several sizes in one run show whether memory grows with the number of tokens. Traffic goes
 * to 127.0.0.1 only; the emulator keeps its state in memory.
 */
import { once } from "node:events";
import { createWriteStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { BrazeClient } from "../src/client/braze-client";
import { checkDrift } from "../src/drift/check-drift";
import { driftExitCode } from "../src/drift/report-format";
import { validateTokenFile } from "../src/tokens/token-source";
import { cpuSeconds, fcmToken, round, spawnCliImport, startEmulatorChild } from "./support";

const APP_ID = "bench-android";
const APP_NAME = "Bench Android";
const KEY = "bench-key";
const SEGMENT = "all-users";

async function main(): Promise<void> {
  const sizes = parseSizes(process.argv.slice(2));
  for (const tokens of sizes) console.log(JSON.stringify(await run(tokens)));
}

async function run(tokens: number) {
  const dir = mkdtempSync(join(tmpdir(), "braze-drift-bench-"));
  const configFile = join(dir, "emulator.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      apiKeys: { [KEY]: "*" },
      apps: [{ appId: APP_ID, name: APP_NAME, platform: "android" }],
      allUsersSegmentId: SEGMENT,
      limits: { segmentExportReadyDelayMs: 0 },
      requestLogSize: 0,
    }),
  );
  const emulator = await startEmulatorChild(configFile);
  const client = new BrazeClient({ endpoint: emulator.url, apiKey: KEY });
  try {
    const file = join(dir, "android.ndjson");
    await writeTokens(file, tokens);
    const seedStarted = Date.now();
    await importFile(emulator.url, file, join(dir, "ledgers"));
    const seedSeconds = (Date.now() - seedStarted) / 1000;

    // a little drift, so the check has something to find: 3 tokens claimed by the SDK, 2
    // uninstalled
    for (const n of [1, 2, 3]) await adminPost(emulator.url, "/sdk-session", { n });
    for (const n of [4, 5]) await adminPost(emulator.url, "/uninstall", { n });

    const digest = (await validateTokenFile({ file, platform: "android", mode: "anonymous" }))
      .digest;
    const ledgerDir = join(dir, "ledgers");
    const ledgerPath = join(
      ledgerDir,
      readdirSync(ledgerDir).find((f) => f.endsWith(".sqlite"))!,
    );

    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const emulatorCpu = cpuSeconds(emulator.child.pid!);
    const started = Date.now();
    const report = await checkDrift(
      client,
      [
        {
          id: "bench/android",
          appId: APP_ID,
          appName: APP_NAME,
          platform: "android",
          mode: "anonymous",
          source: { file },
          digest,
          ledgerPath,
        },
      ],
      { segmentId: SEGMENT, tempDir: dir, segmentDownload: { pollIntervalMs: 200 } },
    );
    const seconds = (Date.now() - started) / 1000;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);

    return {
      bench: "drift",
      tokens,
      seconds: round(seconds),
      tokens_per_s: round(tokens / seconds),
      rss_before_mb: Math.round(rssBefore / 2 ** 20),
      peak_rss_mb: Math.round(peak / 2 ** 20),
      workspace_users: report.workspace?.users,
      summary: report.summary,
      exit_code: driftExitCode(report),
      emulator_cpu_s: round(cpuSeconds(emulator.child.pid!) - emulatorCpu),
      seed_seconds: round(seedSeconds),
    };
  } finally {
    await client.close();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function writeTokens(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    const token = fcmToken(i);
    if (i < 10) firstTokens[i] = token;
    if (!out.write(`{"token":"${token}"}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

async function importFile(url: string, file: string, ledgerDir: string): Promise<void> {
  const child = spawnCliImport(
    { file, appId: APP_ID, url, key: KEY, ledgerDir, concurrency: 160 },
    "ignore",
  );
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`the seeding import exited with ${code}`);
}

// the first tokens of the file written last, for the admin actions
const firstTokens: string[] = [];

/** An admin action on the n-th token of the file. */
async function adminPost(url: string, path: string, { n }: { n: number }): Promise<void> {
  const res = await request(`${url}/_emulator${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ app_id: APP_ID, token: firstTokens[n] }),
  });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}`);
}

function parseSizes(args: string[]): number[] {
  const i = args.indexOf("--tokens");
  const value = i === -1 ? "100000,1000000" : args[i + 1];
  const sizes = (value ?? "").split(",").map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 10)) {
    throw new Error(`--tokens takes sizes of 10 or more, comma-separated, got "${value}"`);
  }
  return sizes;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
