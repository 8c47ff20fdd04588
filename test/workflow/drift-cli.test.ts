/**
 * `braze-push-migrate drift` as a user runs it: a project applied with the real `terraform`
 * binary against an emulator on port 0, then the emulator plays what users and Braze do, and
 * drift reads the applied batches from the state and names each token's state.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admin, APP, apnsToken, fcmToken, post, useEmulator } from "../helpers";
import { CLI, runCli } from "./terraform-helpers";

jest.setTimeout(180_000);

const KEY = "drift-e2e-key-8c2a41";
const KEY_ENV = "DRIFT_E2E_KEY";
const REPO = join(__dirname, "..", "..");

const ios = Array.from({ length: 3 }, (_, i) => ({ token: apnsToken(300 + i), user: `d-${i}` }));
const android = Array.from({ length: 4 }, (_, i) => fcmToken(400 + i));

describe("braze-push-migrate drift", () => {
  const emulator = useEmulator({ config: { apiKeys: { [KEY]: "*" } } });
  const url = () => emulator.current.url;
  let project: string;

  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    BRAZE_REST_ENDPOINT: url(),
    [KEY_ENV]: KEY,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    TF_CLI_CONFIG_FILE: join(project, "empty.tfrc"),
  });
  const cli = (args: string[]) => runCli(args, project, env());

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error("run `npm run build` before these tests");
    project = mkdtempSync(join(tmpdir(), "bpm-drift-"));
    writeFileSync(join(project, "empty.tfrc"), "");
    writeFileSync(join(project, "cdktf.json"), JSON.stringify({ app: "node app.js" }));
    writeFileSync(
      join(project, "app.js"),
      `const { App } = require(${JSON.stringify(require.resolve("cdktf"))});
const m = require(${JSON.stringify(join(REPO, "dist", "src", "index.js"))});
const app = new App();
const stack = new m.BrazeMigrationStack(app, "acme", { apiKeyEnvVar: ${JSON.stringify(KEY_ENV)} });
const ios = new m.BrazeApp(stack, "ios", { appId: ${JSON.stringify(APP.ios)}, name: "Acme iOS", platform: "ios" });
const android = new m.BrazeApp(stack, "android", { appId: ${JSON.stringify(APP.android)}, name: "Acme Android", platform: "android" });
new m.AndroidReceiverSettings(stack, "legacy-receiver", { app: android, keyValuePairs: { sender: "legacy" }, flatten: true });
new m.TokenImportBatch(stack, "ios-known", { app: ios, source: "data/ios.csv", mode: "identified" });
new m.TokenImportBatch(stack, "android-anon", { app: android, source: "data/android.ndjson", mode: "anonymous" });
m.synthMigrations(app).catch((e) => { console.error(e.message); process.exit(1); });
`,
    );
    mkdirSync(join(project, "data"));
    writeFileSync(
      join(project, "data", "ios.csv"),
      ["token,external_id", ...ios.map((r) => `${r.token},${r.user}`)].join("\n") + "\n",
    );
    writeFileSync(
      join(project, "data", "android.ndjson"),
      android.map((token) => JSON.stringify({ token })).join("\n") + "\n",
    );
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("finds nothing to act on right after an apply (exit 0, every token in_sync)", async () => {
    expect((await cli(["apply", "--auto-approve"])).code).toBe(0);

    const run = await cli(["drift", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.version).toBe(1);
    expect(report.summary).toMatchObject({ declared: 7, in_sync: 7, undeclared: 0 });
    expect(report.batches.map((b: { id: string; method: string }) => [b.id, b.method])).toEqual([
      ["acme/android-anon", "segment_export"],
      ["acme/ios-known", "users_export_ids"],
    ]);
    // the receiver setting was applied to the emulator's app
    expect(report.receiverSettings).toEqual([
      { id: "acme/legacy-receiver", status: expect.objectContaining({ state: "applied" }) },
    ]);
  });

  it("names each drifted token's state and exits 2 when something needs action", async () => {
    // GIVEN users open the new app, one uninstalls, a token moves to another user, and an
    // import no stack declares lands
    await admin(url(), "POST", "/sdk-session", { app_id: APP.android, token: android[0] });
    await admin(url(), "POST", "/uninstall", { app_id: APP.android, token: android[1] });
    await post(
      url(),
      "/users/track",
      {
        attributes: [
          { external_id: "someone-else", push_tokens: [{ app_id: APP.ios, token: ios[0].token }] },
        ],
      },
      KEY,
    );
    await post(
      url(),
      "/users/track",
      {
        attributes: [
          { push_token_import: true, push_tokens: [{ app_id: APP.android, token: fcmToken(999) }] },
        ],
      },
      KEY,
    );

    // WHEN drift runs
    const run = await cli(["drift", "--json"]);

    // THEN each state is counted once, details name tokens by their last 6 characters
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout);
    expect(report.summary).toMatchObject({
      declared: 7,
      in_sync: 4,
      claimed_by_sdk: 1,
      removed: 1,
      moved: 1,
      undeclared: 1,
    });
    const drifted = report.batches.flatMap((b: { drifted: { token: string; state: string }[] }) =>
      b.drifted.map((d) => [d.token, d.state]),
    );
    expect(drifted).toEqual(
      expect.arrayContaining([
        [`…${android[0].slice(-6)}`, "claimed_by_sdk"],
        [`…${android[1].slice(-6)}`, "removed"],
        [`…${ios[0].token.slice(-6)}`, "moved"],
      ]),
    );
    for (const token of [...android, ...ios.map((r) => r.token), fcmToken(999)]) {
      expect(run.output).not.toContain(token);
    }
    expect(run.output).not.toContain(KEY);
  });

  it("prints Markdown for a pull-request comment and plain text on a terminal", async () => {
    const markdown = await cli(["drift", "--format", "markdown"]);
    expect(markdown.code).toBe(2);
    expect(markdown.stdout).toMatch(/^#+ .*[Dd]rift/m);
    expect(markdown.stdout).toContain("acme/ios-known");

    const text = await cli(["drift"]);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain("declared 7: in_sync 4");
    expect(text.stdout).toContain(`…${android[1].slice(-6)}: removed`);

    expect(text.stdout).toContain(
      "receiver setting acme/legacy-receiver (custom, flatten true): applied",
    );

    // a segment the workspace does not have, and a threshold that is not a number
    const segment = await cli(["drift", "--json", "--segment-id", "no-such-segment"]);
    expect(segment.code).toBe(1);
    expect(segment.output).toContain("no-such-segment");
    expect(segment.output).not.toContain(KEY);
    const threshold = await cli(["drift", "--device-id-threshold", "many"]);
    expect(threshold.code).toBe(1);
    expect(threshold.output).toContain('--device-id-threshold must be a whole number, got "many"');

    const bad = await cli(["drift", "--format", "yaml"]);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain("--format must be text, markdown or json");
  });

  it("reports a receiver setting the workspace no longer holds as declared", async () => {
    // someone switched flattening off for the app
    await admin(url(), "POST", `/apps/${APP.android}/flatten`, { flatten: false });
    const run = await cli(["drift", "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).receiverSettings).toEqual([
      { id: "acme/legacy-receiver", status: expect.objectContaining({ state: "not_applied" }) },
    ]);
  });
});
