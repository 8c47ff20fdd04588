import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { request } from "undici";
import { DEFAULT_API_KEY } from "../emulator/config";
import { startEmulator } from "../emulator/server";
import { apply, plan, type WorkflowOptions } from "../workflow";
import { checkStackDrift, type StackDriftReport } from "../workflow/stack-drift";
import { fail, log } from "./output";

/**
 * `braze-push-migrate demo` (`npm start`): the whole story against an emulator it starts and
 * stops itself. The example migration of `stacks/` is copied into a temporary project,
 * synthesised, planned and applied through Terraform; drift shows it clean; then the emulator
 * plays what users and Braze do (a user opens the new app, another uninstalls it, the monthly
 * cleanup runs) and drift names each state. The project stays on disk for a look.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("the whole migration story (plan, apply, drift) against an embedded emulator")
    .action(async () => {
      const repo = join(__dirname, "..", "..", "..");
      const main = join(repo, "dist", "main.js");
      if (!existsSync(main)) fail("dist/main.js is missing: run `npm run build` first");
      const emulator = await startEmulator();
      try {
        await runDemo(repo, main, emulator.url);
      } finally {
        await emulator.close();
      }
    });
}

// the example's app_ids (stacks/index.ts), the emulator's default apps
const IOS = "00000000-0000-4000-8000-0000000000a1";
const ANDROID = "00000000-0000-4000-8000-0000000000a2";

async function runDemo(repo: string, main: string, url: string): Promise<void> {
  step(`1. an emulator of Braze runs at ${url} (in memory, stops when the demo ends)`);

  // a project of its own, so the demo never touches this checkout's state or ledgers
  const project = mkdtempSync(join(tmpdir(), "braze-push-migrate-demo-"));
  cpSync(join(repo, "stacks", "data"), join(project, "stacks", "data"), { recursive: true });
  writeFileSync(
    join(project, "cdktf.json"),
    JSON.stringify({ app: `"${process.execPath}" "${main}"`, output: "cdktf.out" }, null, 2),
  );
  // no provider download and no call home: terraform_data needs neither
  writeFileSync(join(project, "terraform.rc"), "");
  process.env.BRAZE_REST_ENDPOINT = url;
  process.env.BRAZE_API_KEY = DEFAULT_API_KEY;
  process.env.TF_IN_AUTOMATION = "1";
  process.env.CHECKPOINT_DISABLE = "1";
  process.env.TF_CLI_CONFIG_FILE = join(project, "terraform.rc");

  const options: WorkflowOptions = {
    cwd: project,
    stack: "acme",
    cliScript: join(__dirname, "index.js"),
    log: () => undefined,
    // the demo prints its own summaries; terraform's errors still show
    quietTerraform: true,
  };

  step("2. plan: what the example migration in stacks/ would do (the pull request's summary)");
  const planned = await plan(options);
  for (const line of planned.lines) log(line);

  step("3. apply through Terraform: each batch's handler imports its token file");
  await apply({ ...options, autoApprove: true, print: () => undefined });
  log("applied: 7 resources (2 apps, 1 Android receiver setting, 4 token batches)");

  step("4. drift right after the apply: every declared token is where it was sent");
  printDrift(await checkStackDrift(options));

  step("5. the users and Braze act: the emulator plays them");
  const android = readNdjsonTokens(join(project, "stacks", "data", "android-anonymous.ndjson"));
  const ios = readCsvTokens(join(project, "stacks", "data", "ios-known-users.csv"));
  await admin(url, "/sdk-session", { app_id: ANDROID, token: android[0], external_id: "opened-1" });
  log(`  a user opens the new Android app: the Braze SDK registers …${android[0].slice(-6)}`);
  await admin(url, "/uninstall", { app_id: ANDROID, token: android[1] });
  log(`  another user uninstalls it: …${android[1].slice(-6)} is gone`);
  await admin(url, "/sdk-session", { app_id: IOS, token: ios[0], external_id: "a-new-account" });
  log(`  an iOS user logs into a new account: …${ios[0].slice(-6)} moves to it`);
  await admin(url, "/monthly-cleanup", {});
  log("  Braze's monthly cleanup deletes import profiles left without a token");

  step("6. drift again: each token in its state (exit code 2 in CI: something needs action)");
  printDrift(await checkStackDrift(options));

  step("7. the files");
  log(`  project:      ${project}`);
  log(`  Terraform:    ${join(project, "cdktf.out", "stacks", "acme")} (the synthesised stack)`);
  log(`  state:        ${join(project, "terraform.acme.tfstate")}`);
  log(`  ledgers:      ${join(project, ".braze-push-migrate", "ledgers")}`);
  log("next: `npm test` runs the tests; README.md shows how to declare your own migration");
}

function step(title: string): void {
  log("");
  log(title);
}

function printDrift(report: StackDriftReport): void {
  const s = report.summary;
  log(
    `  declared ${s.declared}: in_sync ${s.in_sync}, claimed_by_sdk ${s.claimed_by_sdk}, ` +
      `moved ${s.moved}, removed ${s.removed}, missing ${s.missing}, not_checked ` +
      `${s.not_checked}; undeclared ${s.undeclared}`,
  );
  for (const batch of report.batches) {
    for (const d of batch.drifted) log(`  ${batch.id} line ${d.line} ${d.token}: ${d.state}`);
  }
  for (const { id, status } of report.receiverSettings) log(`  ${id}: ${status.state}`);
}

function readNdjsonTokens(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => (JSON.parse(line) as { registration_id: string }).registration_id);
}

// the example's CSV is plain: no quoted cells
function readCsvTokens(file: string): string[] {
  const [header, ...rows] = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
  const column = header.split(",").indexOf("push_token");
  return rows.map((line) => line.split(",")[column]);
}

async function admin(url: string, path: string, body: unknown): Promise<void> {
  const res = await request(`${url}/_emulator${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`emulator ${path} answered ${res.statusCode}`);
}
