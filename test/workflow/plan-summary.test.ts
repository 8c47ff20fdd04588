/**
 * `braze-push-migrate plan [--json | --format markdown]` through the built CLI and the real
 * `terraform` binary: the summary per stack and app, receiver settings judged against the
 * emulator or Braze by the endpoint, and exit codes as `terraform plan -detailed-exitcode`.
 * Only terraform_data resources are applied, against an emulator on port 0.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admin, APP, apnsToken, fcmToken, useEmulator } from "../helpers";
import { capturedLogs, CLI, runCli } from "./terraform-helpers";

jest.setTimeout(180_000);

const KEY = "plan-secret-key-8c2e41";
const KEY_ENV = "PLAN_BRAZE_KEY";
const REPO = join(__dirname, "..", "..");

interface BatchSpec {
  id: string;
  app: "ios" | "android";
  source: string;
  mode: "identified" | "anonymous";
}
interface StackSpec {
  id: string;
  endpoint?: string;
  confirmation?: string;
  batches: BatchSpec[];
}

/** GIVEN a project whose app declares the stacks of `migration.json`. */
function writeProject(dir: string): void {
  writeFileSync(join(dir, "empty.tfrc"), "");
  writeFileSync(join(dir, "cdktf.json"), JSON.stringify({ app: "node app.js" }));
  writeFileSync(
    join(dir, "app.js"),
    `const { readFileSync } = require("node:fs");
const { App } = require(${JSON.stringify(require.resolve("cdktf"))});
const m = require(${JSON.stringify(join(REPO, "dist", "src", "index.js"))});
const spec = JSON.parse(readFileSync("migration.json", "utf8"));
const app = new App();
for (const s of spec.stacks) {
  const stack = new m.BrazeMigrationStack(app, s.id, { apiKeyEnvVar: ${JSON.stringify(KEY_ENV)}, endpoint: s.endpoint });
  const apps = {
    ios: new m.BrazeApp(stack, "ios", { appId: ${JSON.stringify(APP.ios)}, name: "Acme iOS", platform: "ios" }),
    android: new m.BrazeApp(stack, "android", { appId: ${JSON.stringify(APP.android)}, name: "Acme Android", platform: "android" }),
  };
  new m.AndroidReceiverSettings(stack, "legacy-receiver", {
    app: apps.android, keyValuePairs: { sender: "acme-legacy" }, flatten: true,
    flattenConfirmation: s.confirmation,
  });
  for (const b of s.batches) {
    new m.TokenImportBatch(stack, b.id, { app: apps[b.app], source: b.source, mode: b.mode });
  }
}
m.synthMigrations(app).catch((e) => { console.error(e.message); process.exit(1); });
`,
  );
  mkdirSync(join(dir, "data"), { recursive: true });
}

describe("braze-push-migrate plan against a project and an emulator", () => {
  const emulator = useEmulator({ config: { apiKeys: { [KEY]: "*" } } });
  let project: string;
  const declared: string[] = [];

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    BRAZE_REST_ENDPOINT: emulator.current.url,
    [KEY_ENV]: KEY,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    TF_CLI_CONFIG_FILE: join(project, "empty.tfrc"),
    ...extra,
  });
  const cli = (args: string[], extra?: NodeJS.ProcessEnv) => runCli(args, project, env(extra));
  const writeStacks = (stacks: StackSpec[]) =>
    writeFileSync(join(project, "migration.json"), JSON.stringify({ stacks }));
  function writeCsv(name: string, rows: string[][]): void {
    for (const r of rows) declared.push(r[0]);
    const lines = ["token,external_id", ...rows.map((r) => r.join(","))];
    writeFileSync(join(project, "data", name), lines.join("\n") + "\n");
  }
  function writeTokens(name: string, tokens: string[]): void {
    declared.push(...tokens);
    writeFileSync(join(project, "data", name), ["token", ...tokens].join("\n") + "\n");
  }

  const ios: BatchSpec = {
    id: "ios-users",
    app: "ios",
    source: "data/ios.csv",
    mode: "identified",
  };
  const android: BatchSpec = {
    id: "android-anon",
    app: "android",
    source: "data/android.csv",
    mode: "anonymous",
  };
  const old: BatchSpec = {
    id: "android-old",
    app: "android",
    source: "data/old.csv",
    mode: "anonymous",
  };

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error("run `npm run build` first");
    project = mkdtempSync(join(tmpdir(), "bpm-plan-"));
    writeProject(project);
    writeCsv(
      "ios.csv",
      [0, 1, 2].map((i) => [apnsToken(300 + i), `plan-user-${i}`]),
    );
    writeTokens(
      "android.csv",
      [0, 1, 2, 3].map((i) => fcmToken(400 + i)),
    );
    writeTokens("old.csv", [fcmToken(500), fcmToken(501)]);
    writeStacks([{ id: "acme", batches: [ios, android, old] }]);
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("exits 2 with every batch new, the emulator's flattening not yet applied", async () => {
    const run = await cli(["plan", "--json"]);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ version: 1, changed: true });
    const stack = report.stacks[0];
    expect(stack.stack).toBe("acme");
    expect(stack.apps.map((a: any) => [a.path, a.change, a.batches.length])).toEqual([
      ["acme/android", "new", 2],
      ["acme/ios", "new", 1],
    ]);
    expect(stack.receiverSettings).toEqual([
      expect.objectContaining({
        path: "acme/legacy-receiver",
        change: "new",
        target: "emulator",
        state: "not_applied",
        keys: ["sender"],
      }),
    ]);
    expect(stack.receiverSettings[0].detail).toContain(
      "apply switches it through the emulator's admin API",
    );
    expect(report.totals).toMatchObject({
      toChange: 6,
      unchanged: 0,
      batches: { new: 3, unchanged: 0, replaced: 0, removed: 0, retried: 0, updated: 0 },
      tokensToSend: { identified: 3, anonymous: 6, total: 9 },
      pendingConfirmations: 0,
    });
  });

  it("exits 0 after apply, with flattening applied in the emulator", async () => {
    const applied = await cli(["apply", "--auto-approve"]);
    expect(applied.code).toBe(0);

    const run = await cli(["plan", "--format", "markdown", "--skip-synth"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^## braze-push-migrate plan: no changes\n/);
    expect(run.stdout).toContain("### Stack `acme`: no changes, Braze is as declared");
    expect(run.stdout).toContain(
      "| `acme/legacy-receiver` | `acme/android` | on (`sender`) | unchanged | applied (emulator) |",
    );
    // terraform's own output went to stderr
    expect(run.stdout).not.toContain("No changes.");
    expect(run.output).toContain("No changes.");
  });

  it("shows replaced, removed and new batches, what is sent again, and validation notes", async () => {
    writeTokens(
      "android.csv",
      [0, 1, 2, 3, 4, 5].map((i) => fcmToken(400 + i)),
    );
    // an APNs token of 40 bytes is valid with a warning; a repeated row is collapsed
    writeCsv("ios-more.csv", [
      ["ab".repeat(40), "plan-user-9"],
      [apnsToken(310), "plan-user-10"],
      [apnsToken(310), "plan-user-10"],
    ]);
    const more: BatchSpec = { ...ios, id: "ios-more", source: "data/ios-more.csv" };
    writeStacks([{ id: "acme", batches: [ios, android, more] }]);

    const json = JSON.parse((await cli(["plan", "--json"])).stdout);
    const batches = Object.fromEntries(
      json.stacks[0].apps.flatMap((a: any) => a.batches).map((b: any) => [b.path, b]),
    );
    expect(batches["acme/android-anon"]).toMatchObject({
      change: "replaced",
      tokensToSend: 6,
      previousDigest: expect.stringMatching(/^sha256:/),
    });
    expect(batches["acme/android-anon"].resend).toMatch(
      /^replace, file changed .*4 → 6 valid rows\): all 6 valid rows of data\/android\.csv will be sent again \(anonymous: Braze ignores tokens it already has\)/,
    );
    expect(batches["acme/android-old"]).toMatchObject({ change: "removed", tokensToSend: 0 });
    expect(batches["acme/ios-more"]).toMatchObject({
      change: "new",
      tokensToSend: 2,
      counts: { rowsRead: 3, valid: 2, warnings: 1, duplicates: 1 },
    });
    expect(batches["acme/ios-users"]).toMatchObject({ change: "unchanged", tokensToSend: 0 });
    expect(json.stacks[0].validation).toEqual([
      expect.objectContaining({ path: "acme/ios-more", warnings: 1, duplicates: 1, skipped: 0 }),
    ]);
    expect(json.totals).toMatchObject({
      batches: { new: 1, unchanged: 1, replaced: 1, removed: 1 },
      tokensToSend: { identified: 2, anonymous: 6, total: 8 },
      tokensDeclared: { identified: 5, anonymous: 6, total: 11 },
    });

    const run = await cli(["plan", "--format", "markdown", "--skip-synth"]);
    expect(run.code).toBe(2);
    const md = run.stdout;
    expect(md).toMatch(/^## braze-push-migrate plan: 3 changes\n/);
    expect(md).toContain(
      "**Totals:** batches 1 new, 1 replaced, 1 removed, 1 unchanged; tokens to send: 8 " +
        "(2 identified, 6 anonymous); tokens declared: 11 (5 identified, 6 anonymous)",
    );
    expect(md).toContain(
      "#### Acme Android (android, app_id `" + APP.android + "`, `acme/android`)\n",
    );
    expect(md).toContain(
      "| `acme/android-anon` | `data/android.csv` | replaced | anonymous | 6 | 6 | 0 |",
    );
    expect(md).toContain(
      "| `acme/android-old` | `data/old.csv` | removed | anonymous | 2 | 0 | 0 |",
    );
    expect(md).toContain(
      "| `acme/ios-more` | `data/ios-more.csv` | new | identified | 2 | 2 | 1 |",
    );
    expect(md).toMatch(/\*\*Sent again\*\*\n\n- `acme\/android-anon`: replace, file changed/);
    expect(md).toContain("- `acme/android-old`: 2 tokens retained");
    expect(md).toContain(
      "- `acme/ios-more`: 1 warning, 1 duplicate row collapsed of 3 read in data/ios-more.csv",
    );
  });

  it("exits 1 on a bad flag, a failing synth and a failing terraform plan", async () => {
    const bad = await cli(["plan", "--format", "yaml", "--skip-synth"]);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('--format must be text, markdown or json, got "yaml"');
    const both = await cli(["plan", "--json", "--format", "markdown", "--skip-synth"]);
    expect(both.code).toBe(1);

    writeFileSync(join(project, "data", "broken.csv"), "token\nnot-a-token\n");
    writeStacks([
      { id: "acme", batches: [ios, { ...android, id: "broken", source: "data/broken.csv" }] },
    ]);
    const synthFails = await cli(["plan", "--json"]);
    expect(synthFails.code).toBe(1);
    expect(synthFails.stdout).toBe("");

    // terraform itself refuses the plan: an output names a variable the stack never declares
    writeStacks([{ id: "acme", batches: [ios, android] }]);
    expect((await cli(["synth"])).code).toBe(0);
    const tf = join(project, "cdktf.out", "stacks", "acme", "cdk.tf.json");
    const json = JSON.parse(readFileSync(tf, "utf8"));
    json.output = { broken: { value: "${var.never_declared}" } };
    writeFileSync(tf, JSON.stringify(json));
    const planFails = await cli(["plan", "--skip-synth", "--format", "markdown"]);
    expect(planFails.code).toBe(1);
    expect(planFails.stdout).toBe("");
    expect(planFails.output).toContain("Reference to undeclared input variable");
    expect(planFails.output).toMatch(/terraform plan failed \(exit 1\)/);
  });

  it("plans every stack without --stack; an endpoint that is not loopback is Braze", async () => {
    const before = (await admin(emulator.current.url, "GET", "/stats")).body;
    writeStacks([
      { id: "acme", batches: [ios, android] },
      { id: "eu", endpoint: "EU-01", batches: [] },
      { id: "eu-confirmed", endpoint: "EU-01", confirmation: "ticket-4711", batches: [] },
    ]);
    const run = await cli(["plan", "--json"]);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout);
    expect(report.stacks.map((s: any) => [s.stack, s.changed])).toEqual([
      ["acme", true],
      ["eu", true],
      ["eu-confirmed", true],
    ]);
    const receiver = (name: string) =>
      report.stacks.find((s: any) => s.stack === name).receiverSettings[0];
    expect(receiver("eu")).toMatchObject({ target: "braze", state: "pending_confirmation" });
    expect(receiver("eu").requestText).toContain(
      `Subject: switch on key-value pair flattening for app_id ${APP.android}`,
    );
    expect(receiver("eu-confirmed")).toMatchObject({
      target: "braze",
      state: "not_checkable",
      confirmation: "ticket-4711",
    });
    expect(receiver("eu-confirmed").detail).toContain("this cannot be checked");
    expect(report.totals.pendingConfirmations).toBe(1);

    // --stack picks one; planning touched nothing in the emulator
    const one = JSON.parse((await cli(["plan", "--json", "--stack", "eu"])).stdout);
    expect(one.stacks.map((s: any) => s.stack)).toEqual(["eu"]);
    expect((await admin(emulator.current.url, "GET", "/stats")).body).toEqual(before);
  });

  it("prints no token and no key", () => {
    const logs = capturedLogs.join("\n");
    expect(logs).toContain("tokens to send");
    expect(logs).not.toContain(KEY);
    for (const t of declared) expect(logs).not.toContain(t);
  });
});

describe("braze-push-migrate plan of this repository's example stack", () => {
  let out: string;
  // a copy of the example project: a checkout where someone ran `apply` has state of its own
  let project: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "bpm-plan-repo-"));
    project = mkdtempSync(join(tmpdir(), "bpm-plan-example-"));
    cpSync(join(REPO, "stacks", "data"), join(project, "stacks", "data"), { recursive: true });
    writeFileSync(
      join(project, "cdktf.json"),
      JSON.stringify({ app: `"${process.execPath}" "${join(REPO, "dist", "main.js")}"` }),
    );
  });
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
  });

  // the caller's environment without an endpoint, plus `extra`
  const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
    const base: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1" };
    delete base.BRAZE_REST_ENDPOINT;
    return { ...base, ...extra };
  };

  it("Markdown: a table per app, totals, and the flattening request in a details block", async () => {
    const run = await runCli(["plan", "--output", out, "--format", "markdown"], project, env({}));
    expect(run.code).toBe(2);
    const md = run.stdout;
    expect(md).toMatch(/^## braze-push-migrate plan: 7 changes\n/);
    expect(md).toContain(
      "tokens to send: 14 (7 identified, 7 anonymous); tokens declared: 14 (7 identified, " +
        "7 anonymous); **1 receiver setting pending Braze's confirmation**",
    );
    expect(md).toContain("#### Acme iOS (ios, app_id `00000000-0000-4000-8000-0000000000a1`");
    expect(md).toContain(
      "| `acme/ios-known-users` | `stacks/data/ios-known-users.csv` | new | identified | 4 | 4 | 0 |",
    );
    // no endpoint in CI's plan job: judged as against Braze, and said so
    expect(md).toContain("**pending Braze's confirmation** (no endpoint)");
    expect(md).toContain("BRAZE_REST_ENDPOINT is not set, so this is judged as against Braze");
    expect(md).toMatch(
      /<details><summary>Request to send to Braze for <code>acme\/legacy-receiver<\/code><\/summary>\n\n```text\nSubject: switch on key-value pair flattening for app_id 00000000-0000-4000-8000-0000000000a2\n[^]*"display", "sender"[^]*\n```\n\n<\/details>/,
    );
    // every APNs and FCM token of the example's files
    const tokens = readdirSync(join(REPO, "stacks", "data")).flatMap(
      (f) =>
        readFileSync(join(REPO, "stacks", "data", f), "utf8").match(
          /[0-9a-f]{64}|[A-Za-z0-9_-]+:APA91[A-Za-z0-9_-]+/g,
        ) ?? [],
    );
    expect(tokens.length).toBe(14);
    for (const t of tokens) expect(run.output).not.toContain(t);
  });

  it("JSON against a named Braze instance: pending confirmation with the request text", async () => {
    const run = await runCli(
      ["plan", "--output", out, "--skip-synth", "--json"],
      project,
      env({ BRAZE_REST_ENDPOINT: "US-03" }),
    );
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout);
    expect(report.version).toBe(1);
    expect(report.stacks[0].receiverSettings[0]).toMatchObject({
      target: "braze",
      state: "pending_confirmation",
      requestText: expect.stringContaining('the Android app "Acme Android"'),
    });
    expect(report.stacks[0].apps.map((a: any) => a.tokensDeclared)).toEqual([
      { identified: 3, anonymous: 4, total: 7 },
      { identified: 4, anonymous: 3, total: 7 },
    ]);
  });
});
