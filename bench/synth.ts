/**
 * Synth benchmark: a stack declaring 1,000,000 anonymous FCM tokens (split over `--batches`
 * files) is prepared and synthesised; the same files are then only read and validated, for
 * comparison. Prints one JSON line: tokens, seconds of synth, seconds of the plain read, their
 * ratio, the size of the Terraform JSON and the peak RSS.
 *
 *   npm run bench:synth -- [--tokens 1000000] [--batches 1]
 *
 * No network; everything happens in a temporary folder that is removed at the end.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import {
  BrazeApp,
  BrazeMigrationStack,
  synthMigrations,
  TokenImportBatch,
} from "../src/constructs";
import { validateTokenFile } from "../src/tokens";
import { fcmToken, round } from "./support";

interface Options {
  tokens: number;
  batches: number;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "braze-synth-bench-"));
  try {
    const files: string[] = [];
    const per = Math.ceil(options.tokens / options.batches);
    for (let b = 0; b < options.batches; b++) {
      const file = join(dir, `android-${b}.ndjson`);
      await writeTokens(file, b * per, Math.min(per, options.tokens - b * per));
      files.push(file);
    }
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);

    const outdir = join(dir, "cdktf.out");
    const app = new App({ outdir });
    const stack = new BrazeMigrationStack(app, "bench");
    const android = new BrazeApp(stack, "android", {
      appId: "bench-android",
      name: "Bench Android",
      platform: "android",
    });
    files.forEach((file, b) => {
      new TokenImportBatch(stack, `batch-${b}`, { app: android, source: file, mode: "anonymous" });
    });
    const synthStart = process.hrtime.bigint();
    await synthMigrations(app);
    const synthSeconds = seconds(synthStart);

    const readStart = process.hrtime.bigint();
    for (const file of files) {
      await validateTokenFile({ file, platform: "android", mode: "anonymous" });
    }
    const readSeconds = seconds(readStart);

    const json = statSync(join(outdir, "stacks", "bench", "cdk.tf.json")).size;
    console.log(
      JSON.stringify({
        bench: "synth",
        tokens: options.tokens,
        batches: options.batches,
        fileMB: round(bytes / 1e6),
        synthSeconds: round(synthSeconds, 2),
        readSeconds: round(readSeconds, 2),
        synthOverRead: round(synthSeconds / readSeconds, 2),
        terraformJsonBytes: json,
        peakRssMB: round(process.resourceUsage().maxRSS / 1024),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function writeTokens(file: string, from: number, count: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = from; i < from + count; i++) {
    if (!out.write(`{"token":"${fcmToken(i)}"}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { tokens: 1_000_000, batches: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === "--tokens" && value >= 1) options.tokens = Math.floor(value);
    else if (argv[i] === "--batches" && value >= 1) options.batches = Math.floor(value);
    else throw new Error(`unknown or bad option ${argv[i]} ${argv[i + 1] ?? ""}`);
  }
  return options;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
