import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { request } from "undici";
import { BrazeClient } from "../client/braze-client";
import { DEFAULT_API_KEY, DEFAULT_APPS } from "../emulator/config";
import { startEmulator } from "../emulator/server";
import { runImport, type ImportReport } from "../engine/import";
import { log } from "./output";

/**
 * `braze-push-migrate demo` (`npm start`): imports two sample token files, one identified and
 * one anonymous, into an emulator it starts in-process, through the same engine and ledger as
 * `import`; runs one import again to show that nothing confirmed is sent twice; then lets a
 * user open the new app (an SDK session) and reads the workspace back.
 *
 * Shortcoming: Terraform, plan summaries and drift are not part of it yet (issues 4 and 5).
 */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("import sample token files into an embedded emulator")
    .action(async () => {
      const emulator = await startEmulator();
      const dir = mkdtempSync(join(tmpdir(), "braze-push-migrate-demo-"));
      const client = new BrazeClient({ endpoint: emulator.url, apiKey: DEFAULT_API_KEY });
      try {
        await runDemo(emulator.url, client, dir);
      } finally {
        await client.close();
        await emulator.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
}

const [IOS, ANDROID] = DEFAULT_APPS;

async function runDemo(url: string, client: BrazeClient, dir: string): Promise<void> {
  log(`emulator started at ${url} (in memory, stops when the demo ends)`);

  const apns = (n: number) => createHash("sha256").update(`apns-${n}`).digest("hex");
  const fcm = (n: number) => {
    const random = (salt: string) =>
      createHash("sha512").update(`${salt}-${n}`).digest("base64url");
    return `d${n}x:APA91b${(random("a") + random("b")).slice(0, 150)}`;
  };

  // known users with their iOS tokens, and one row the file check refuses
  const iosFile = join(dir, "ios.csv");
  const iosRows = Array.from({ length: 5 }, (_, i) => `${apns(i)},user-${i + 1}`);
  writeFileSync(iosFile, ["token,external_id", ...iosRows, "not-a-token,user-9"].join("\n") + "\n");

  // Android tokens of users nobody knows yet: one temporary profile each
  const androidFile = join(dir, "android.ndjson");
  const androidRows = Array.from({ length: 8 }, (_, i) => JSON.stringify({ token: fcm(i) }));
  writeFileSync(androidFile, androidRows.join("\n") + "\n");

  const ledgerDir = join(dir, "ledgers");
  const identified = {
    source: { file: iosFile, platform: "ios", mode: "identified" },
    appId: IOS.appId,
    ledgerDir,
    client,
  } as const;
  summarise("identified import of ios.csv", await runImport(identified));
  summarise(
    "anonymous import of android.ndjson",
    await runImport({
      source: { file: androidFile, platform: "android", mode: "anonymous" },
      appId: ANDROID.appId,
      ledgerDir,
      client,
    }),
  );
  summarise(
    "the identified import again (the ledger knows what landed)",
    await runImport(identified),
  );

  // a user opens the new app: the Braze SDK registers the imported token on their profile
  await admin(url, "/sdk-session", { app_id: ANDROID.appId, token: fcm(0), external_id: "user-6" });
  const exported = await client.exportIds({
    externalIds: ["user-1", "user-6"],
    fieldsToExport: ["external_id", "push_tokens"],
  });
  for (const user of exported.users) {
    const tokens = (user.push_tokens ?? []).map((t) => `${t.app} …${t.token.slice(-6)}`);
    log(`Braze now holds for ${user.external_id}: ${tokens.join(", ")}`);
  }
  log(`workspace: ${JSON.stringify(await admin(url, "/stats"))}`);
  log("next: `npm test` runs the tests; `braze-push-migrate import --help` imports your own file");
}

function summarise(what: string, report: ImportReport): void {
  const outcomes = report.outcomes ?? { accepted: 0, rejected: 0, unknown: 0, sent: 0 };
  log(
    `${what}: ${report.source.counts.valid} valid rows, ${report.source.counts.rejected} refused ` +
      `by the file check, ${report.requests} requests, ${outcomes.accepted} accepted ` +
      `(${report.settledBefore} already confirmed before), complete: ${report.complete}`,
  );
  for (const issue of report.source.rejections) {
    log(`  ${issue.file.split(/[\\/]/).pop()} line ${issue.line}: ${issue.problem} (${issue.fix})`);
  }
}

async function admin(url: string, path: string, body?: unknown): Promise<unknown> {
  const res = await request(`${url}/_emulator${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.body.json();
}
