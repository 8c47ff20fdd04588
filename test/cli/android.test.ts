/**
 * `braze-push-migrate android preview | send-test` through the built CLI, as a user runs it:
 * this repository's example stack, and a small project of its own (two stacks, OneSignal and
 * Airship receivers, one of them a null_resource) synthesised through its cdktf.json, with an
 * emulator on port 0 for the test sends.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admin, APP, fcmToken, post, useEmulator } from "../helpers";

jest.setTimeout(120_000);

const CLI = join(__dirname, "..", "..", "dist", "src", "cli", "index.js");
const REPO = join(__dirname, "..", "..");
const KEY = "android-cli-secret-7c41e2";
const KEY_ENV = "SHOP_BRAZE_KEY";
const TOKENS = { shopper: fcmToken(7101), second: fcmToken(7102) };

let project: string;
let repoOut: string;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error("run `npm run build` before these tests");
  project = mkdtempSync(join(tmpdir(), "bpm-android-"));
  repoOut = mkdtempSync(join(tmpdir(), "bpm-android-repo-"));
  writeProject(project);
});
afterAll(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(repoOut, { recursive: true, force: true });
});

describe("android preview of this repository's example stack", () => {
  it("synthesises through cdktf.json and prints the declared receiver's map flattened, exit 0", async () => {
    // GIVEN the example's legacy-receiver: custom, flatten true, two pairs
    // WHEN
    const run = await cli(
      ["android", "preview", "--receiver", "legacy-receiver", "--alert", "Your order shipped"],
      REPO,
      ["--output", repoOut],
    );

    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'acme/legacy-receiver in stack acme, app "Acme Android": declared flatten true, rendered true (as declared)',
    );
    expect(textDataMap(run.stdout)).toEqual({
      _ab: "true",
      a: "Your order shipped",
      t: "Acme Android",
      sender: "acme-legacy",
      display: "legacy-receiver",
    });
    expect(run.stdout).toContain("warnings: none");
    expect(run.stderr).not.toContain("warning:");
  });

  it("renders it not flattened with --no-flatten and --json, pairs inside extra", async () => {
    const run = await cli(
      [
        "android",
        "preview",
        "--receiver",
        "acme/legacy-receiver",
        "--alert",
        "Your order shipped",
        "--title",
        "Acme",
        "--extra",
        "promo=spring",
        "--no-flatten",
        "--json",
      ],
      REPO,
      ["--output", repoOut, "--skip-synth"],
    );

    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      version: 1,
      stack: "acme",
      constructPath: "acme/legacy-receiver",
      receiver: "custom",
      appId: APP.android,
      flatten: false,
      warnings: [],
      issues: [],
    });
    expect(Object.keys(doc.data)).toEqual(["_ab", "a", "t", "extra"]);
    expect(doc.data).toMatchObject({ _ab: "true", a: "Your order shipped", t: "Acme" });
    expect(JSON.parse(doc.data.extra)).toEqual({
      sender: "acme-legacy",
      display: "legacy-receiver",
      promo: "spring",
    });
  });
});

describe("android preview of a project's own stacks", () => {
  beforeAll(async () => {
    const run = await cli(["synth"], project);
    expect(run.code).toBe(0);
  });

  it("prints the OneSignal receiver's map flattened as declared, with a per-send id, exit 0", async () => {
    const run = await cli(
      ["android", "preview", "--stack", "shop", "--receiver", "onesignal-receiver"],
      project,
      ["--alert", "Back in stock", "--json", "--skip-synth"],
    );

    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.flatten).toBe(true);
    expect(doc.data).toEqual({
      _ab: "true",
      a: "Back in stock",
      t: "Shop Android",
      custom: JSON.stringify({ i: doc.sendId }),
      alert: "Back in stock",
      title: "Shop Android",
      screen: "orders",
      // synth escaped the template sequence for Terraform; the device gets it as declared
      note: "${not-a-template}",
    });
    expect(doc.warnings).toEqual([]);
  });

  it("warns on stderr and in the JSON, and exits 2, when --no-flatten hides the required keys in extra", async () => {
    const args = ["android", "preview", "--stack", "shop", "--receiver", "shop/onesignal-receiver"];
    const json = await cli([...args, "--no-flatten", "--json"], project, [
      "--alert",
      "Back in stock",
      "--skip-synth",
    ]);
    const text = await cli([...args, "--no-flatten"], project, [
      "--alert",
      "Back in stock",
      "--skip-synth",
    ]);

    expect(json.code).toBe(2);
    const doc = JSON.parse(json.stdout);
    expect(doc.flatten).toBe(false);
    expect(Object.keys(doc.data).sort()).toEqual(["_ab", "a", "extra", "t"]);
    expect(doc.warnings.map((w: { code: string }) => w.code)).toEqual(["KEYS_HIDDEN_IN_EXTRA"]);
    expect(doc.warnings[0].keys).toEqual(["custom", "alert"]);
    expect(json.stderr).toMatch(/warning: KEYS_HIDDEN_IN_EXTRA: unflattened, "custom", "alert"/);

    expect(text.code).toBe(2);
    expect(text.stdout).toContain("rendered false (overriding the declaration)");
    expect(text.stderr).toContain("warning: KEYS_HIDDEN_IN_EXTRA");
  });

  it("exits 2 with the setting's issues and the hidden keys when the synthesised setting says flatten false", async () => {
    // GIVEN a synthesised OneSignal setting edited to flatten false (synth itself refuses it)
    const out = mkdtempSync(join(project, "edited-"));
    expect((await cli(["synth", "--output", out], project)).code).toBe(0);
    const file = join(out, "stacks", "shop", "cdk.tf.json");
    const json = JSON.parse(readFileSync(file, "utf8"));
    json.resource.terraform_data["onesignal-receiver"].input.flatten = false;
    writeFileSync(file, JSON.stringify(json));

    // WHEN
    const run = await cli(
      ["android", "preview", "--stack", "shop", "--receiver", "onesignal-receiver", "--json"],
      project,
      ["--alert", "Back in stock", "--skip-synth", "--output", out],
    );

    // THEN
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout);
    expect(doc.flatten).toBe(false);
    expect(doc.issues.map((i: { code: string }) => i.code)).toEqual(["FLATTEN_REQUIRED"]);
    expect(doc.warnings.map((w: { code: string }) => w.code)).toEqual(["KEYS_HIDDEN_IN_EXTRA"]);
    expect(run.stderr).toContain("warning: FLATTEN_REQUIRED (error of the declared setting)");
    expect(run.stderr).toContain("warning: KEYS_HIDDEN_IN_EXTRA");
  });

  it("warns about both size limits and exits 2 for a long alert", async () => {
    const run = await cli(
      ["android", "preview", "--stack", "shop", "--receiver", "onesignal-receiver"],
      project,
      ["--alert", "x".repeat(2500), "--json", "--skip-synth"],
    );

    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout);
    expect(doc.bytes.androidPush).toBeGreaterThan(4000);
    expect(doc.warnings.map((w: { code: string }) => w.code)).toEqual([
      "ANDROID_PUSH_TOO_LONG",
      "PAYLOAD_TOO_LARGE",
    ]);
    expect(run.stderr).toContain("warning: ANDROID_PUSH_TOO_LONG");
    expect(run.stderr).toContain("warning: PAYLOAD_TOO_LARGE");
  });

  it("reads a null_resource stack's receiver from its trigger", async () => {
    const run = await cli(
      ["android", "preview", "--stack", "legacy", "--receiver", "airship-receiver", "--json"],
      project,
      ["--alert", "Hello", "--skip-synth"],
    );

    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ stack: "legacy", receiver: "airship", flatten: true });
    expect(doc.data["com.urbanairship.push.CANONICAL_PUSH_ID"]).toBe(doc.sendId);
    expect(doc.data["com.urbanairship.push.ALERT"]).toBe("Hello");
  });

  it("fails with exit 1 naming the receivers that exist when --receiver names none", async () => {
    const run = await cli(
      ["android", "preview", "--stack", "shop", "--receiver", "airship-receiver"],
      project,
      ["--alert", "Hello", "--skip-synth"],
    );

    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(
      'error: stack "shop" has no receiver settings "airship-receiver" (receiver settings: ' +
        "shop/onesignal-receiver); pass one of them to --receiver",
    );
  });

  it("fails with exit 1 naming the stacks for an unknown --stack, and asks for one when there are several", async () => {
    const unknown = await cli(
      ["android", "preview", "--stack", "nope", "--receiver", "onesignal-receiver"],
      project,
      ["--alert", "Hello", "--skip-synth"],
    );
    const several = await cli(["android", "preview", "--receiver", "onesignal-receiver"], project, [
      "--alert",
      "Hello",
      "--skip-synth",
    ]);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /no stack "nope" was synthesised \(stacks: (shop, legacy|legacy, shop)\)/,
    );
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(
      /the app has 2 stacks \((shop, legacy|legacy, shop)\): name one with --stack/,
    );
  });

  it.each([
    [["--extra", "screen"], '--extra "screen" is not key=value with a key'],
    [["--extra", "=orders"], '--extra "=orders" is not key=value with a key'],
    [["--extra", "a=1", "--extra", "a=2"], '--extra "a" is given twice'],
    [["--alert", " "], "--alert is empty"],
    [["--title", ""], "--title is empty"],
  ])("refuses the bad flags %j with exit 1, naming the flag", async (bad, message) => {
    const run = await cli(
      ["android", "preview", "--stack", "shop", "--receiver", "onesignal-receiver"],
      project,
      ["--alert", "Hello", "--skip-synth", ...bad],
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
  });
});

describe("android send-test against the emulator", () => {
  const emulator = useEmulator({ config: { apiKeys: { [KEY]: "*" } } });
  const env = () => ({ BRAZE_REST_ENDPOINT: emulator.current.url, [KEY_ENV]: KEY });
  const sendArgs = ["android", "send-test", "--stack", "shop", "--receiver", "onesignal-receiver"];

  beforeAll(async () => {
    const track = await post(
      emulator.current.url,
      "/users/track",
      {
        attributes: [
          { external_id: "shopper", push_tokens: [{ app_id: APP.android, token: TOKENS.shopper }] },
          { external_id: "second", push_tokens: [{ app_id: APP.android, token: TOKENS.second }] },
        ],
      },
      KEY,
    );
    expect(track.status).toBe(201);
    // what apply does for a flattened setting on the emulator
    await admin(emulator.current.url, "POST", `/apps/${APP.android}/flatten`, { flatten: true });
  });

  it("sends the declared pairs and each device's outbox payload equals the preview, exit 0", async () => {
    // GIVEN the preview of the same message
    const message = ["--alert", "Back in stock", "--title", "Shop", "--extra", "sku=A-17"];
    const preview = await cli(
      ["android", "preview", "--stack", "shop", "--receiver", "onesignal-receiver", "--json"],
      project,
      [...message, "--skip-synth"],
    );
    expect(preview.code).toBe(0);
    const previewed = JSON.parse(preview.stdout);

    // WHEN
    const run = await cli(
      [...sendArgs, "--external-id", "shopper", "--external-id", "second", "--json"],
      project,
      [...message, "--skip-synth"],
      env(),
    );

    // THEN every device got the previewed map, with this send's id and Braze's cid
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ version: 1, target: "emulator", stack: "shop", warnings: [] });
    expect(doc.request).toEqual({
      external_user_ids: ["shopper", "second"],
      messages: { android_push: sendIdSwapped(previewed.request, previewed.sendId, doc.sendId) },
    });
    const expected = {
      ...sendIdSwapped(previewed.data, previewed.sendId, doc.sendId),
      cid: doc.dispatchId,
    };
    const outbox = await admin(
      emulator.current.url,
      "GET",
      `/outbox?dispatch_id=${doc.dispatchId}`,
    );
    expect(outbox.body.messages.map((m: { payload: unknown }) => m.payload)).toEqual([
      expected,
      expected,
    ]);
    expect(doc.deliveries).toEqual([
      delivery(doc.dispatchId, "shopper", TOKENS.shopper, expected),
      delivery(doc.dispatchId, "second", TOKENS.second, expected),
    ]);
    expect(run.output).not.toContain(KEY);
    for (const token of Object.values(TOKENS)) expect(run.output).not.toContain(token.slice(-7));
  });

  it("prints the dispatch, the request and each device's payload as text, tokens by their last 6 characters", async () => {
    const run = await cli(
      [...sendArgs, "--external-id", "shopper"],
      project,
      ["--alert", "Back in stock", "--skip-synth"],
      env(),
    );

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^sent dispatch \w+ to the emulator for external_ids shopper$/m);
    expect(run.stdout).toContain("android_push sent to /messages/send:");
    expect(run.stdout).toContain(
      `external_id shopper, token …${TOKENS.shopper.slice(-6)}: equals the preview`,
    );
    expect(run.stdout).toContain('"note": "${not-a-template}"');
    expect(run.output).not.toContain(KEY);
    expect(run.output).not.toContain(TOKENS.shopper.slice(-7));
  });

  it("warns with exit 2 when the emulator's app is not flattened as declared", async () => {
    await admin(emulator.current.url, "POST", `/apps/${APP.android}/flatten`, { flatten: false });
    try {
      const run = await cli(
        [...sendArgs, "--external-id", "shopper", "--json"],
        project,
        ["--alert", "Back in stock", "--skip-synth"],
        env(),
      );

      expect(run.code).toBe(2);
      const doc = JSON.parse(run.stdout);
      expect(doc.warnings.map((w: { code: string }) => w.code)).toEqual(["OUTBOX_DIFFERS"]);
      expect(doc.deliveries[0].matchesPreview).toBe(false);
      expect(doc.deliveries[0].payload.extra).toBeDefined();
      expect(run.stderr).toContain("warning: OUTBOX_DIFFERS: 1 of 1 devices");
      expect(run.stderr).toContain("is not flattened, the declaration says flattened");
    } finally {
      await admin(emulator.current.url, "POST", `/apps/${APP.android}/flatten`, { flatten: true });
    }
  });

  it("warns with exit 2 when no device of the app received the push", async () => {
    const run = await cli(
      [...sendArgs, "--external-id", "nobody-here", "--json"],
      project,
      ["--alert", "Back in stock", "--skip-synth"],
      env(),
    );

    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).deliveries).toEqual([]);
    expect(run.stderr).toContain("warning: NO_DELIVERY");
  });

  it("fails with exit 1 naming the key variable the stack names when it is not set, and sends nothing", async () => {
    const before = (await admin(emulator.current.url, "GET", "/stats")).body.outbox;
    const run = await cli(
      [...sendArgs, "--external-id", "shopper"],
      project,
      ["--alert", "Back in stock", "--skip-synth"],
      { BRAZE_REST_ENDPOINT: emulator.current.url, BRAZE_API_KEY: KEY },
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${KEY_ENV} is not set: stack "shop" reads the REST API key`);
    expect(run.output).not.toContain(KEY);
    expect((await admin(emulator.current.url, "GET", "/stats")).body.outbox).toBe(before);
  });

  it("fails with exit 1 when Braze refuses the key, without printing it", async () => {
    const run = await cli(
      [...sendArgs, "--external-id", "shopper"],
      project,
      ["--alert", "Back in stock", "--skip-synth"],
      { BRAZE_REST_ENDPOINT: emulator.current.url, [KEY_ENV]: "not-the-key-0000" },
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: .*401/i);
    expect(run.output).not.toContain("not-the-key-0000");
  });
});

// helpers

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

/** Runs the built CLI in `cwd`, with the environment's Braze settings replaced by `extra`. */
function cli(
  args: string[],
  cwd: string,
  more: string[] = [],
  extra: NodeJS.ProcessEnv = {},
): Promise<Run> {
  const env = { ...process.env };
  for (const name of ["BRAZE_REST_ENDPOINT", "BRAZE_API_KEY", KEY_ENV]) delete env[name];
  const child = spawn(process.execPath, [CLI, ...args, ...more], {
    cwd,
    env: { ...env, ...extra },
    stdio: "pipe",
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    child.on("close", (code) => resolve({ code, stdout, stderr, output: stdout + stderr }));
  });
}

/** The data map of the text preview: the JSON between its heading and the sizes line. */
function textDataMap(stdout: string): unknown {
  const start = stdout.indexOf("FCM data map Braze delivers:\n");
  const end = stdout.indexOf("\nsizes:");
  expect(start).toBeGreaterThanOrEqual(0);
  return JSON.parse(stdout.slice(start + "FCM data map Braze delivers:\n".length, end));
}

/** A value with one send id written where another was. */
function sendIdSwapped<T>(value: T, from: string, to: string): T {
  return JSON.parse(JSON.stringify(value).split(from).join(to)) as T;
}

function delivery(dispatchId: string, externalId: string, token: string, payload: unknown) {
  return {
    dispatchId,
    externalId,
    appId: APP.android,
    platform: "android",
    token: `…${token.slice(-6)}`,
    payload,
    matchesPreview: true,
  };
}

/** A project with two stacks: shop (terraform_data, OneSignal) and legacy (null_resource). */
function writeProject(dir: string): void {
  writeFileSync(join(dir, "cdktf.json"), JSON.stringify({ app: "node app.js" }));
  writeFileSync(
    join(dir, "app.js"),
    `const { App } = require(${JSON.stringify(require.resolve("cdktf"))});
const m = require(${JSON.stringify(join(REPO, "dist", "src", "index.js"))});
const app = new App();
const shop = new m.BrazeMigrationStack(app, "shop", { apiKeyEnvVar: ${JSON.stringify(KEY_ENV)} });
const shopAndroid = new m.BrazeApp(shop, "android", {
  appId: ${JSON.stringify(APP.android)}, name: "Shop Android", platform: "android",
});
new m.AndroidReceiverSettings(shop, "onesignal-receiver", {
  app: shopAndroid, receiver: "onesignal",
  keyValuePairs: { screen: "orders", note: "\${not-a-template}" },
});
const legacy = new m.BrazeMigrationStack(app, "legacy", { resourceKind: "null_resource" });
const legacyAndroid = new m.BrazeApp(legacy, "android", {
  appId: ${JSON.stringify(APP.android)}, name: "Legacy Android", platform: "android",
});
new m.AndroidReceiverSettings(legacy, "airship-receiver", { app: legacyAndroid, receiver: "airship" });
m.synthMigrations(app).catch((e) => { console.error(e.message); process.exit(1); });
`,
  );
}
