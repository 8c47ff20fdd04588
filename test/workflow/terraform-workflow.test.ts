/**
 * The whole workflow through the built CLI, the real `terraform` binary (>= 1.4 on PATH) and
 * an emulator on port 0: synth, init, apply, re-apply, a changed file, a killed handler,
 * relocation, destroy; then scans of everything written and printed.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admin, APP, apnsToken, fcmToken, post, useEmulator } from "../helpers";
import {
  capturedLogs,
  CLI,
  commandLine,
  descendants,
  filesUnder,
  runCli,
  startCli,
  waitFor,
} from "./terraform-helpers";

jest.setTimeout(180_000);

const KEY = "e2e-secret-key-5b1d9f";
const KEY_ENV = "E2E_BRAZE_KEY";
const REPO = join(__dirname, "..", "..");

interface BatchSpec {
  id: string;
  app: "ios" | "android";
  source: string;
  mode: "identified" | "anonymous";
  columns?: Record<string, string>;
}

const iosRows = Array.from({ length: 3 }, (_, i) => ({
  token: apnsToken(100 + i),
  user: `e2e-${i}`,
}));
const androidTokens = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => fcmToken(from + i));

describe("braze-push-migrate synth/plan/apply/destroy with terraform", () => {
  const emulator = useEmulator({ config: { apiKeys: { [KEY]: "*" } } });
  const url = () => emulator.current.url;
  let project: string;
  let elsewhere: string;
  const declared = new Set<string>();

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    BRAZE_REST_ENDPOINT: url(),
    [KEY_ENV]: KEY,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    // an empty CLI config: no credentials helpers, no provider installation from the network
    TF_CLI_CONFIG_FILE: join(project, "empty.tfrc"),
    ...extra,
  });
  const cli = (args: string[], extra?: NodeJS.ProcessEnv) => runCli(args, project, env(extra));

  function writeMigration(batches: BatchSpec[]): void {
    writeFileSync(
      join(project, "migration.json"),
      JSON.stringify({ apps: { ios: APP.ios, android: APP.android }, batches }),
    );
  }
  function writeAndroid(name: string, tokens: string[]): void {
    for (const t of tokens) declared.add(t);
    const lines = tokens.map((t, i) =>
      JSON.stringify({ registration_id: t, installation: `inst-${i}-0000` }),
    );
    writeFileSync(join(project, "data", name), lines.join("\n") + "\n");
  }
  const baseBatches: BatchSpec[] = [
    { id: "ios-known-users", app: "ios", source: "data/ios.csv", mode: "identified" },
    {
      id: "android-anonymous",
      app: "android",
      source: "data/android.ndjson",
      mode: "anonymous",
      columns: { token: "registration_id", deviceId: "installation" },
    },
  ];

  const holder = async (appId: string, token: string) =>
    (await admin(url(), "GET", `/tokens?app_id=${appId}&token=${encodeURIComponent(token)}`)).body;
  const stats = async () => (await admin(url(), "GET", "/stats")).body;

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error("run `npm run build` before these tests");
    project = mkdtempSync(join(tmpdir(), "bpm-tf-"));
    elsewhere = mkdtempSync(join(tmpdir(), "bpm-tf-moved-"));
    writeFileSync(join(project, "empty.tfrc"), "");
    writeFileSync(join(project, "cdktf.json"), JSON.stringify({ app: "node app.js" }));
    writeFileSync(
      join(project, "app.js"),
      `const { readFileSync } = require("node:fs");
const { App } = require(${JSON.stringify(require.resolve("cdktf"))});
const m = require(${JSON.stringify(join(REPO, "dist", "src", "index.js"))});
const spec = JSON.parse(readFileSync("migration.json", "utf8"));
const app = new App();
const stack = new m.BrazeMigrationStack(app, "acme", { apiKeyEnvVar: ${JSON.stringify(KEY_ENV)} });
const apps = {
  ios: new m.BrazeApp(stack, "ios", { appId: spec.apps.ios, name: "Acme iOS", platform: "ios" }),
  android: new m.BrazeApp(stack, "android", { appId: spec.apps.android, name: "Acme Android", platform: "android" }),
};
new m.AndroidReceiverSettings(stack, "legacy-receiver", {
  app: apps.android, keyValuePairs: { sender: "acme-legacy" }, flatten: true,
});
for (const b of spec.batches) {
  new m.TokenImportBatch(stack, b.id, { app: apps[b.app], source: b.source, mode: b.mode, columns: b.columns });
}
m.synthMigrations(app).catch((e) => { console.error(e.message); process.exit(1); });
`,
    );
    mkdirSync(join(project, "data"));
    writeFileSync(
      join(project, "data", "ios.csv"),
      ["token,external_id", ...iosRows.map((r) => `${r.token},${r.user}`)].join("\n") + "\n",
    );
    for (const r of iosRows) declared.add(r.token);
    writeAndroid("android.ndjson", androidTokens(200, 4));
    writeMigration(baseBatches);
  });
  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it("synth writes Terraform JSON without tokens, keys or paths of this machine", async () => {
    const run = await cli(["synth"]);
    expect(run.code).toBe(0);
    const json = readFileSync(join(project, "cdktf.out", "stacks", "acme", "cdk.tf.json"), "utf8");
    expect(json).not.toContain(project);
    expect(json).not.toContain(KEY);
    for (const t of declared) expect(json).not.toContain(t);
    expect(JSON.parse(json).resource.terraform_data["ios-known-users"].input.api_key_env).toBe(
      KEY_ENV,
    );
  });

  it("apply imports every token, checks the apps and flattens in the emulator", async () => {
    const run = await cli(["apply", "--auto-approve"]);
    expect(run.code).toBe(0);
    expect(run.output).toContain("+ batch acme/ios-known-users: import 3 tokens of data/ios.csv");
    expect(run.output).toContain("tokens to send: 7");
    expect(run.output).toContain("Apply complete! Resources: 5 added");

    for (const r of iosRows) {
      const exported = await post(
        url(),
        "/users/export/ids",
        { external_ids: [r.user], fields_to_export: ["external_id", "push_tokens"] },
        KEY,
      );
      expect(exported.body.users[0].push_tokens).toEqual([
        expect.objectContaining({ app: "Acme iOS", platform: "iOS", token: r.token }),
      ]);
    }
    for (const t of androidTokens(200, 4)) {
      expect(await holder(APP.android, t)).toMatchObject({ held: true, temporary: true });
    }

    // flattening switched on through the admin API: pushes render the pairs at the top level
    const apps = (await admin(url(), "GET", "/apps")).body.apps;
    expect(apps.find((a: any) => a.appId === APP.android).flatten).toBe(true);
    await post(
      url(),
      "/users/track",
      {
        attributes: [
          {
            external_id: "e2e-android",
            push_tokens: [{ app_id: APP.android, token: fcmToken(999) }],
          },
        ],
      },
      KEY,
    );
    const sent = await post(
      url(),
      "/messages/send",
      {
        external_user_ids: ["e2e-android"],
        messages: { android_push: { alert: "Hi", extra: { sender: "acme-legacy" } } },
      },
      KEY,
    );
    const outbox = (await admin(url(), "GET", `/outbox?dispatch_id=${sent.body.dispatch_id}`)).body;
    expect(outbox.messages[0].payload.sender).toBe("acme-legacy");
    expect(outbox.messages[0].payload.extra).toBeUndefined();
  });

  it("a second apply changes nothing and sends nothing", async () => {
    const before = await stats();
    const run = await cli(["apply", "--auto-approve"]);
    expect(run.code).toBe(0);
    expect(run.output).toContain("no changes: Braze is as declared");
    expect(run.output).not.toContain("handler create");
    expect(await stats()).toEqual(before);

    // --json: the summary alone on stdout, terraform's output on stderr
    const json = await cli(["plan", "--json", "--skip-synth"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ version: 1, changed: false });
    expect(report.stacks[0]).toMatchObject({ changes: [], unchanged: 5, tokensToSend: 0 });
  });

  it("plan shows a changed file as a replacement that sends the new file again", async () => {
    writeAndroid("android.ndjson", androidTokens(200, 6));
    const run = await cli(["plan"]);
    // as terraform plan -detailed-exitcode: 2 when there are changes
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/# terraform_data\.android-anonymous must be replaced/);
    expect(run.output).toContain('-/+ resource "terraform_data" "android-anonymous"');
    expect(run.output).toMatch(
      /± batch acme\/android-anonymous: replace, file changed \(sha256:\S+ → sha256:\S+, 4 → 6 valid rows\): all 6 valid rows of data\/android\.ndjson will be sent again \(anonymous: Braze ignores tokens it already has\)/,
    );
    expect(run.output).toContain("tokens to send: 6");
  });

  it("apply replaces the batch and imports the new file without duplicates", async () => {
    const before = await stats();
    const run = await cli(["apply", "--auto-approve"]);
    expect(run.code).toBe(0);
    expect(run.output).toContain("[acme/android-anonymous] retained: the 4 tokens");
    expect(run.output).toContain("Resources: 1 added, 0 changed, 1 destroyed");
    const after = await stats();
    expect(after.tokens).toBe(before.tokens + 2);
    expect(after.temporaryUsers).toBe(before.temporaryUsers + 2);
    for (const t of androidTokens(200, 6)) {
      expect(await holder(APP.android, t)).toMatchObject({ held: true, temporary: true });
    }
  });

  it("a handler killed mid-batch fails the apply; the next apply resumes and completes it", async () => {
    const bulk = androidTokens(5000, 1500);
    writeAndroid("bulk.ndjson", bulk);
    writeMigration([
      ...baseBatches,
      {
        id: "android-bulk",
        app: "android",
        source: "data/bulk.ndjson",
        mode: "anonymous",
        columns: { token: "registration_id" },
      },
    ]);
    const before = await stats();
    // one request at a time, each answered late, so the kill lands between requests
    await admin(url(), "POST", "/faults", { endpoint: "/users/track", kind: "slow", delayMs: 250 });
    const { child, done } = startCli(
      ["apply", "--auto-approve"],
      project,
      env({ BRAZE_PUSH_MIGRATE_CONCURRENCY: "1" }),
    );
    try {
      await waitFor(
        async () => (await stats()).tokens >= before.tokens + 300,
        60_000,
        "300 tokens",
      );
      const handler = descendants(child.pid!).find((pid) => {
        const argv = commandLine(pid);
        return argv.includes("handler") && argv.includes("create");
      });
      expect(handler).toBeDefined();
      process.kill(handler!, "SIGKILL");
      const failed = await done;
      expect(failed.code).not.toBe(0);
      expect(failed.output).toContain("Error running command 'braze-push-migrate handler create'");
    } finally {
      await admin(url(), "DELETE", "/faults");
    }
    const landed = (await stats()).tokens - before.tokens;
    expect(landed).toBeGreaterThan(0);
    expect(landed).toBeLessThan(1500);

    const plan = await cli(["plan"]);
    expect(plan.code).toBe(2);
    expect(plan.output).toContain("↻ batch acme/android-bulk: retry of a failed import");
    const run = await cli(["apply", "--auto-approve"]);
    expect(run.code).toBe(0);
    expect(run.output).toContain("[acme/android-bulk] resuming data/bulk.ndjson from its ledger");
    const after = await stats();
    expect(after.tokens).toBe(before.tokens + 1500);
    expect(after.temporaryUsers).toBe(before.temporaryUsers + 1500);
  });

  it("the synthesised directory and state plan the same elsewhere (relocatable)", async () => {
    cpSync(project, elsewhere, { recursive: true });
    const run = await runCli(["plan", "--skip-synth"], elsewhere, {
      ...env(),
      TF_CLI_CONFIG_FILE: join(elsewhere, "empty.tfrc"),
    });
    expect(run.code).toBe(0);
    expect(run.output).toContain("No changes.");
    expect(run.output).toContain("no changes: Braze is as declared");
  });

  it("says so when terraform is not on PATH", async () => {
    const run = await cli(["plan", "--skip-synth"], { PATH: "/nonexistent" });
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      "terraform was not found on PATH: install Terraform 1.4.0 or later",
    );
  });

  it("destroy retains the tokens in Braze and says so", async () => {
    const before = await stats();
    const run = await cli(["destroy", "--auto-approve"]);
    expect(run.code).toBe(0);
    expect(run.output).toContain(
      "- batch acme/android-bulk: leaves the stack; its 1500 tokens stay in Braze (retained)",
    );
    expect(run.output).toContain(
      "[acme/ios-known-users] retained: the 3 tokens of data/ios.csv stay in Braze",
    );
    expect(run.output).toContain("Resources: 0 added, 0 changed, 6 destroyed");
    expect(await stats()).toEqual(before);
  });

  it("leaves the key in no file or log, and tokens only in the copies of the token files", () => {
    // everything synth, terraform and the handlers wrote: all but the declared token files
    const written = [...filesUnder(project), ...filesUnder(elsewhere)].filter(
      (f) => !/\/data\/[^/]+$/.test(f) || f.includes("cdktf.out"),
    );
    expect(written.some((f) => f.endsWith("terraform.acme.tfstate"))).toBe(true);
    expect(written.some((f) => f.includes(".braze-push-migrate/ledgers"))).toBe(true);
    const tokens = [...declared];
    for (const file of written) {
      const text = readFileSync(file).toString("latin1");
      expect({ file, key: text.includes(KEY) }).toEqual({ file, key: false });
      const isAssetCopy = /cdktf\.out\/stacks\/acme\/assets\//.test(file);
      if (!isAssetCopy) {
        const leaked = tokens.filter((t) => text.includes(t));
        expect({ file, leaked }).toEqual({ file, leaked: [] });
      }
    }
    const logs = capturedLogs.join("\n");
    expect(logs).toContain("handler create");
    expect(logs).not.toContain(KEY);
    for (const t of tokens) expect(logs).not.toContain(t);
  });
});

describe("braze-push-migrate synth of this repository's stacks/", () => {
  it("runs cdktf.json's app (main.ts) and synthesises the example migration", async () => {
    const out = mkdtempSync(join(tmpdir(), "bpm-repo-synth-"));
    try {
      const run = await runCli(["synth", "--output", out], REPO, process.env);
      expect(run.code).toBe(0);
      const json = JSON.parse(readFileSync(join(out, "stacks", "acme", "cdk.tf.json"), "utf8"));
      const inputs = Object.values<any>(json.resource.terraform_data).map((r) => r.input);
      expect(inputs.map((i) => i.kind).sort()).toEqual([
        "android-receiver-settings",
        "app",
        "app",
        "token-import-batch",
        "token-import-batch",
        "token-import-batch",
        "token-import-batch",
      ]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
