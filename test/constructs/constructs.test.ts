import { mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { DataResource, Testing, type App } from "cdktf";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import {
  AndroidReceiverSettings,
  BrazeApp,
  BrazeMigrationStack,
  MigrationError,
  MigrationValidationError,
  prepareMigrations,
  TokenImportBatch,
} from "../../src/constructs";
import { apnsToken, fcmToken } from "../helpers";
import { androidRows, csvFile, iosRows, useTempDir } from "./construct-helpers";

// the matchers cdktf documents for jest (toHaveResourceWithProperties, ...)
import "cdktf/lib/testing/adapters/jest";
Testing.setupJest();

const tmp = useTempDir("bpm-constructs-");
const IOS_ID = "app-ios-1";
const ANDROID_ID = "app-android-1";

/** A stack with an iOS and an Android app. */
function migration(props: ConstructorParameters<typeof BrazeMigrationStack>[2] = {}) {
  const app = Testing.app();
  const stack = new BrazeMigrationStack(app, "acme", props);
  const ios = new BrazeApp(stack, "ios", { appId: IOS_ID, name: "Acme iOS", platform: "ios" });
  const android = new BrazeApp(stack, "android", {
    appId: ANDROID_ID,
    name: "Acme Android",
    platform: "android",
  });
  return { app, stack, ios, android };
}

function synthJson(stack: BrazeMigrationStack): any {
  return JSON.parse(Testing.synth(stack));
}

/** Every string value of a JSON document. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap(strings);
}

async function prepareError(app: App): Promise<MigrationValidationError> {
  try {
    await prepareMigrations(app);
  } catch (err) {
    if (err instanceof MigrationValidationError) return err;
    throw err;
  }
  throw new Error("prepareMigrations did not fail");
}

function thrown(fn: () => unknown): MigrationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MigrationError) return err;
    throw err;
  }
  throw new Error("no MigrationError was thrown");
}

describe("BrazeMigrationStack", () => {
  it("synthesises terraform_data resources, Terraform >= 1.4 and a relative local state", async () => {
    const { app, stack } = migration();
    await prepareMigrations(app);
    const json = synthJson(stack);
    expect(Object.keys(json.resource)).toEqual(["terraform_data"]);
    expect(json.terraform.required_version).toBe(">= 1.4.0");
    // where cdktf keeps state by default (the directory synth runs in), written relatively
    const state: string = json.terraform.backend.local.path;
    expect(isAbsolute(state)).toBe(false);
    expect(resolve(app.outdir, "stacks", "acme", state)).toBe(resolve("terraform.acme.tfstate"));
    expect(json.provider).toBeUndefined();
  });

  it("keeps a backend the user declared", async () => {
    const { app, stack } = migration();
    const { S3Backend } = await import("cdktf");
    new S3Backend(stack, { bucket: "state", key: "acme.tfstate", region: "eu-west-1" });
    await prepareMigrations(app);
    const json = synthJson(stack);
    expect(json.terraform.backend.s3.bucket).toBe("state");
    expect(json.terraform.backend.local).toBeUndefined();
  });

  it.each([
    [
      "s3",
      async (stack: BrazeMigrationStack) => {
        const { S3Backend } = await import("cdktf");
        new S3Backend(stack, {
          bucket: "acme-state",
          key: "braze-push-migrate/acme.tfstate",
          region: "eu-west-1",
          encrypt: true,
          dynamodbTable: "terraform-locks",
        });
      },
      {
        bucket: "acme-state",
        key: "braze-push-migrate/acme.tfstate",
        region: "eu-west-1",
        encrypt: true,
        dynamodb_table: "terraform-locks",
      },
    ],
    [
      "remote",
      async (stack: BrazeMigrationStack) => {
        const { NamedRemoteWorkspace, RemoteBackend } = await import("cdktf");
        new RemoteBackend(stack, {
          organization: "acme",
          workspaces: new NamedRemoteWorkspace("braze-migration"),
        });
      },
      { organization: "acme", workspaces: { name: "braze-migration" } },
    ],
  ])(
    "synthesises a declared %s backend as declared, with no path of this machine",
    async (type, declare, expected) => {
      // GIVEN a stack with a batch (an asset copy) and a remote backend
      const { app, stack, ios } = migration();
      const file = csvFile(tmp.path, `backend-${type}.csv`, "token,external_id", iosRows(900, 2));
      new TokenImportBatch(stack, "ios-users", { app: ios, source: file, mode: "identified" });
      await declare(stack);

      // WHEN it is synthesised
      await prepareMigrations(app);
      const text = Testing.synth(stack);

      // THEN the backend is the declared one alone, and nothing names a local path
      const json = JSON.parse(text);
      expect(Object.keys(json.terraform.backend)).toEqual([type]);
      expect(json.terraform.backend[type]).toEqual(expected);
      expect(text).not.toContain(tmp.path);
      expect(text).not.toContain(process.cwd());
      expect(strings(json).filter((v) => isAbsolute(v))).toEqual([]);
    },
  );

  it("writes the endpoint and the key variable's NAME into every manifest", async () => {
    const { app, stack } = migration({ endpoint: "EU-01", apiKeyEnvVar: "ACME_BRAZE_KEY" });
    await prepareMigrations(app);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(DataResource, {
      input: expect.objectContaining({
        kind: "app",
        endpoint: "EU-01",
        api_key_env: "ACME_BRAZE_KEY",
        app_id: IOS_ID,
      }),
    });
  });

  it("refuses an endpoint that is not a Braze instance or URL", () => {
    const err = thrown(() => new BrazeMigrationStack(Testing.app(), "x", { endpoint: "XX-99" }));
    expect(err.code).toBe("INVALID_PROPERTY");
    expect(err.message).toMatch(/^\[x\] /);
  });

  it("refuses a key variable name that looks like a key", () => {
    const err = thrown(
      () => new BrazeMigrationStack(Testing.app(), "x", { apiKeyEnvVar: "a1b2-c3d4-e5f6" }),
    );
    expect(err.code).toBe("INVALID_PROPERTY");
    expect(err.message).toContain("never the key itself");
  });

  it("refuses an unknown resource kind", () => {
    const err = thrown(
      () => new BrazeMigrationStack(Testing.app(), "x", { resourceKind: "aws_instance" as never }),
    );
    expect(err.code).toBe("INVALID_PROPERTY");
  });

  it("refuses to synthesise before the token files were read", () => {
    const { app, ios } = migration();
    new TokenImportBatch(app.node.findChild("acme"), "b", {
      app: ios,
      source: csvFile(tmp.path, "unread.csv", "token,external_id", iosRows(1, 2)),
      mode: "identified",
    });
    expect(() => app.synth()).toThrow(/were not read: call `await prepareMigrations\(app\)`/);
  });
});

describe("BrazeApp", () => {
  it("synthesises an app check whose replacement follows app_id and platform", async () => {
    const { app, stack } = migration();
    await prepareMigrations(app);
    const json = synthJson(stack);
    const ios = json.resource.terraform_data.ios;
    expect(ios.input).toEqual({
      kind: "app",
      version: 1,
      construct_path: "acme/ios",
      api_key_env: "BRAZE_API_KEY",
      app_id: IOS_ID,
      name: "Acme iOS",
      platform: "ios",
    });
    expect(ios.triggers_replace).toEqual({ app_id: IOS_ID, platform: "ios" });
    expect(ios.provisioner).toEqual([
      {
        "local-exec": {
          command: "braze-push-migrate handler create",
          environment: { BRAZE_PUSH_MIGRATE_MANIFEST: "${jsonencode(self.input)}" },
        },
      },
      {
        "local-exec": {
          command: "braze-push-migrate handler destroy",
          environment: { BRAZE_PUSH_MIGRATE_MANIFEST: "${jsonencode(self.input)}" },
          when: "destroy",
        },
      },
    ]);
  });

  it("refuses two apps with one app_id, naming both", () => {
    const { stack } = migration();
    const err = thrown(
      () => new BrazeApp(stack, "ios-again", { appId: IOS_ID, name: "Again", platform: "ios" }),
    );
    expect(err.code).toBe("DUPLICATE_APP_ID");
    expect(err.constructPath).toBe("acme/ios-again");
    expect(err.message).toContain("already declared by acme/ios");
  });

  it.each([
    [{ appId: "has space", name: "n", platform: "ios" }, /appId/],
    [{ appId: "id", name: " ", platform: "ios" }, /name/],
    [{ appId: "id", name: "n", platform: "windows" }, /platform must be ios, android or web/],
  ])("refuses bad properties %j", (props, message) => {
    const { stack } = migration();
    const err = thrown(() => new BrazeApp(stack, "bad", props as never));
    expect(err.code).toBe("INVALID_PROPERTY");
    expect(err.message).toMatch(message);
  });

  it("must live in a migration stack", () => {
    const { TerraformStack } = jest.requireActual("cdktf");
    const plain = new TerraformStack(Testing.app(), "plain");
    const err = thrown(
      () => new BrazeApp(plain, "ios", { appId: "a", name: "n", platform: "ios" }),
    );
    expect(err.code).toBe("NOT_IN_MIGRATION_STACK");
    expect(err.constructPath).toBe("plain/ios");
  });
});

describe("AndroidReceiverSettings", () => {
  it("synthesises the pairs, flattening and confirmation, depending on the app", async () => {
    const { app, stack, android } = migration();
    new AndroidReceiverSettings(stack, "legacy-receiver", {
      app: android,
      keyValuePairs: { sender: "acme", channel: "news" },
      flatten: true,
      flattenConfirmation: "ticket 4711",
    });
    await prepareMigrations(app);
    const r = synthJson(stack).resource.terraform_data["legacy-receiver"];
    expect(r.input).toEqual({
      kind: "android-receiver-settings",
      version: 1,
      construct_path: "acme/legacy-receiver",
      api_key_env: "BRAZE_API_KEY",
      app_id: ANDROID_ID,
      app_path: "acme/android",
      app_name: "Acme Android",
      receiver: "custom",
      key_value_pairs: { sender: "acme", channel: "news" },
      flatten: true,
      flatten_confirmation: "ticket 4711",
    });
    expect(r.depends_on).toEqual(["terraform_data.android"]);
    expect(r.triggers_replace).toMatchObject({
      app_id: ANDROID_ID,
      receiver: "custom",
      flatten: "true",
      confirmation: "ticket 4711",
    });
    expect(r.triggers_replace.pairs).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("does not flatten by default and ignores the order of the pairs", async () => {
    const a = migration();
    const b = migration();
    new AndroidReceiverSettings(a.stack, "r", {
      app: a.android,
      keyValuePairs: { x: "1", y: "2" },
    });
    new AndroidReceiverSettings(b.stack, "r", {
      app: b.android,
      keyValuePairs: { y: "2", x: "1" },
    });
    await prepareMigrations(a.app);
    await prepareMigrations(b.app);
    const ra = synthJson(a.stack).resource.terraform_data.r;
    const rb = synthJson(b.stack).resource.terraform_data.r;
    expect(ra.input.flatten).toBe(false);
    expect(ra.input.flatten_confirmation).toBeUndefined();
    expect(ra.triggers_replace).toEqual(rb.triggers_replace);
  });

  it("takes a preset, whose need for flattening is the default", async () => {
    const { app, stack, android } = migration();
    new AndroidReceiverSettings(stack, "onesignal", { app: android, receiver: "onesignal" });
    await prepareMigrations(app);
    const r = synthJson(stack).resource.terraform_data.onesignal;
    expect(r.input).toMatchObject({ receiver: "onesignal", flatten: true, key_value_pairs: {} });
    const { stack: other, android: otherApp } = migration();
    const err = thrown(
      () =>
        new AndroidReceiverSettings(other, "r", {
          app: otherApp,
          receiver: "onesignal",
          flatten: false,
        }),
    );
    expect(err.message).toContain("FLATTEN_REQUIRED");
  });

  it("refuses receiver settings on an iOS app", () => {
    const { stack, ios } = migration();
    const err = thrown(
      () => new AndroidReceiverSettings(stack, "r", { app: ios, keyValuePairs: { k: "v" } }),
    );
    expect(err.code).toBe("RECEIVER_NOT_ANDROID");
    expect(err.message).toContain("[acme/r] app acme/ios is ios");
  });

  it.each([
    [{}, /keyValuePairs is empty/],
    [{ extra: "x" }, /KEY_RESERVED_BY_BRAZE: key "extra" is one Braze writes itself/],
    [{ "": "x" }, /KEY_EMPTY/],
  ])("refuses key-value pairs %j", (keyValuePairs, message) => {
    const { stack, android } = migration();
    const err = thrown(
      () => new AndroidReceiverSettings(stack, "r", { app: android, keyValuePairs }),
    );
    expect(err.code).toBe("INVALID_PROPERTY");
    expect(err.message).toMatch(message);
  });

  it("refuses a confirmation without flattening, and a second receiver for one app", () => {
    const { stack, android } = migration();
    const confirmed = thrown(
      () =>
        new AndroidReceiverSettings(stack, "r", {
          app: android,
          keyValuePairs: { k: "v" },
          flattenConfirmation: "ticket",
        }),
    );
    expect(confirmed.message).toContain("set it only with flatten: true");
    new AndroidReceiverSettings(stack, "r1", { app: android, keyValuePairs: { k: "v" } });
    const twice = thrown(
      () => new AndroidReceiverSettings(stack, "r2", { app: android, keyValuePairs: { c: "d" } }),
    );
    expect(twice.message).toContain("already has receiver settings in acme/r1");
  });
});

describe("TokenImportBatch", () => {
  it("synthesises a manifest: asset, digest, counts, app, mode, columns; never a token", async () => {
    const { app, stack, ios, android } = migration();
    const iosFile = csvFile(tmp.path, "ios.csv", "token,external_id,tier", [
      ...iosRows(1, 3).map((row) => `${row},gold`),
      `${apnsToken(1)},user-1,gold`, // the same row again: a duplicate, collapsed
    ]);
    const androidFile = csvFile(tmp.path, "android.csv", "registration_id,installation", [
      `${fcmToken(1)},install-0001`,
      `${fcmToken(2)},install-0002`,
    ]);
    new TokenImportBatch(stack, "ios-known-users", {
      app: ios,
      source: iosFile,
      mode: "identified",
      columns: { customAttributes: { tier: "tier" } },
    });
    new TokenImportBatch(stack, "android-anonymous", {
      app: android,
      source: androidFile,
      mode: "anonymous",
      preset: "plain",
      format: "csv",
      columns: { token: "registration_id", deviceId: "installation" },
    });
    await prepareMigrations(app);
    const json = synthJson(stack);
    const batch = json.resource.terraform_data["ios-known-users"];

    expect(batch.input).toMatchObject({
      kind: "token-import-batch",
      version: 1,
      construct_path: "acme/ios-known-users",
      app_id: IOS_ID,
      app_path: "acme/ios",
      app_name: "Acme iOS",
      platform: "ios",
      mode: "identified",
      source: "ios.csv",
      preset: "plain",
      format: "csv",
      columns: {},
      attributes: { tier: "tier" },
      accept_installation_ids: false,
      counts: { rows_read: 4, valid: 3, rejected: 0, duplicates: 1, skipped: 0, warnings: 0 },
    });
    expect(batch.input.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(batch.input.file).toMatch(
      /^assets\/ios-known-users_File_[0-9A-F]+\/[0-9a-f]{32}\/ios\.csv$/,
    );
    expect(batch.triggers_replace).toEqual({
      app_id: IOS_ID,
      mode: "identified",
      digest: batch.input.digest,
    });
    expect(batch.depends_on).toEqual(["terraform_data.ios"]);
    // two batches share the workspace's rate limit
    expect(batch.provisioner[0]["local-exec"].environment.BRAZE_PUSH_MIGRATE_RATE_SHARE).toBe(
      "0.5",
    );
    expect(batch.provisioner[1]["local-exec"].when).toBe("destroy");

    expect(Testing.synth(stack)).toHaveResourceWithProperties(DataResource, {
      input: expect.objectContaining({
        construct_path: "acme/android-anonymous",
        mode: "anonymous",
        columns: { token: "registration_id", deviceId: "installation" },
        counts: expect.objectContaining({ valid: 2 }),
      }),
    });
    const text = Testing.synth(stack);
    for (const n of [1, 2, 3]) expect(text).not.toContain(apnsToken(n));
    for (const n of [1, 2]) expect(text).not.toContain(fcmToken(n));
  });

  it("copies the token file into the synthesised stack as a relative asset", async () => {
    const app = Testing.app();
    const outdir = app.outdir;
    const stack = new BrazeMigrationStack(app, "acme");
    const ios = new BrazeApp(stack, "ios", { appId: IOS_ID, name: "Acme iOS", platform: "ios" });
    const file = csvFile(tmp.path, "copied.csv", "token,external_id", iosRows(10, 2));
    new TokenImportBatch(stack, "b", { app: ios, source: file, mode: "identified" });
    await prepareMigrations(app);
    app.synth();

    const stackDir = join(outdir, "stacks", "acme");
    const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8"));
    const copy = join(stackDir, json.resource.terraform_data.b.input.file);
    expect(readFileSync(copy, "utf8")).toBe(readFileSync(file, "utf8"));
    expect(JSON.stringify(json)).not.toContain(tmp.path);
  });

  it("reads a relative source from the directory synth runs in and keeps it relative", async () => {
    const project = join(tmp.path, "project");
    mkdirSync(join(project, "data"), { recursive: true });
    csvFile(join(project, "data"), "ios.csv", "token,external_id", iosRows(20, 1));
    const cwd = process.cwd();
    process.chdir(project);
    try {
      const { app, stack, ios } = migration();
      new TokenImportBatch(stack, "b", { app: ios, source: "data/ios.csv", mode: "identified" });
      await prepareMigrations(app);
      expect(synthJson(stack).resource.terraform_data.b.input.source).toBe("data/ios.csv");
    } finally {
      process.chdir(cwd);
    }
  });

  it("escapes Terraform template sequences in column names", async () => {
    const { app, stack, ios } = migration();
    const file = csvFile(tmp.path, "tmpl.csv", "token,external_id,${oops}", [
      `${apnsToken(30)},user-30,x`,
    ]);
    new TokenImportBatch(stack, "b", {
      app: ios,
      source: file,
      mode: "identified",
      columns: { customAttributes: { odd: "${oops}" } },
    });
    await prepareMigrations(app);
    expect(synthJson(stack).resource.terraform_data.b.input.attributes).toEqual({
      odd: "$${oops}",
    });
  });

  it("refuses a web app: Braze cannot import web push tokens", () => {
    const { stack } = migration();
    const web = new BrazeApp(stack, "web", { appId: "w", name: "Acme Web", platform: "web" });
    const err = thrown(
      () =>
        new TokenImportBatch(stack, "web-tokens", { app: web, source: "x.csv", mode: "anonymous" }),
    );
    expect(err.code).toBe("WEB_APP_TOKENS");
    expect(err.constructPath).toBe("acme/web-tokens");
    expect(err.message).toContain("integrate the Braze Web SDK");
  });

  it("refuses an app of another stack and a bad mode", () => {
    const a = migration();
    const b = migration();
    const other = thrown(
      () => new TokenImportBatch(a.stack, "b", { app: b.ios, source: "x.csv", mode: "anonymous" }),
    );
    expect(other.message).toContain("belongs to another stack");
    const mode = thrown(
      () =>
        new TokenImportBatch(a.stack, "c", { app: a.ios, source: "x.csv", mode: "both" as never }),
    );
    expect(mode.message).toContain("mode must be identified or anonymous");
  });

  it("refuses tokens of the wrong platform for the app, naming file and line", async () => {
    const { app, stack, ios } = migration();
    const file = csvFile(tmp.path, "mixed.csv", "token,external_id", [
      `${apnsToken(40)},user-40`,
      `${fcmToken(41)},user-41`,
    ]);
    new TokenImportBatch(stack, "mixed", { app: ios, source: file, mode: "identified" });
    const err = await prepareError(app);
    expect(err.errors.map((e) => e.code)).toEqual(["TOKEN_WRONG_PLATFORM"]);
    expect(err.errors[0].constructPath).toBe("acme/mixed");
    expect(err.message).toContain("line 3");
    expect(err.message).toContain("1 tokens of");
    expect(err.message).not.toContain(fcmToken(41));
  });

  it("refuses a file with rejected rows, an unreadable file and a file with no valid row", async () => {
    const { app, stack, ios, android } = migration();
    const bad = csvFile(tmp.path, "bad.csv", "token,external_id", [
      `${apnsToken(50)},user-50`,
      "zz-not-hex,user-51",
    ]);
    const empty = csvFile(tmp.path, "empty.csv", "token", []);
    new TokenImportBatch(stack, "bad", { app: ios, source: bad, mode: "identified" });
    new TokenImportBatch(stack, "missing", {
      app: ios,
      source: join(tmp.path, "nope.csv"),
      mode: "identified",
    });
    new TokenImportBatch(stack, "empty", { app: android, source: empty, mode: "anonymous" });
    const err = await prepareError(app);
    expect(err.errors.map((e) => [e.constructPath, e.code])).toEqual([
      ["acme/bad", "BATCH_FILE_INVALID"],
      ["acme/missing", "BATCH_FILE_INVALID"],
      ["acme/empty", "BATCH_FILE_INVALID"],
    ]);
    expect(err.errors[0].message).toMatch(/line 3: token is not hex/);
    expect(err.errors[2].message).toContain("holds no valid row");
    // nothing was created
    expect(() => (stack.node.findChild("bad") as TokenImportBatch).resource).toThrow(
      /has not been read yet/,
    );
  });

  it("refuses the same token in two batches of a stack, naming both", async () => {
    const { app, stack, android } = migration();
    const first = csvFile(tmp.path, "a1.csv", "token", androidRows(60, 3));
    const second = csvFile(tmp.path, "a2.csv", "token,external_id", [
      `${fcmToken(61)},user-61`,
      `${fcmToken(70)},user-70`,
    ]);
    new TokenImportBatch(stack, "anon", { app: android, source: first, mode: "anonymous" });
    new TokenImportBatch(stack, "known", { app: android, source: second, mode: "identified" });
    const err = await prepareError(app);
    expect(err.errors).toHaveLength(1);
    expect(err.errors[0].code).toBe("TOKEN_IN_TWO_BATCHES");
    expect(err.errors[0].message).toContain("[acme/known] token …" + fcmToken(61).slice(-6));
    expect(err.errors[0].message).toContain(
      `line 2 of ${second} is already declared on line 3 of ${first}`,
    );
    expect(err.errors[0].message).toContain("(acme/anon)");
  });

  it("synthesises null_resource with the manifest as a trigger when asked", async () => {
    const { app, stack, ios } = migration({ resourceKind: "null_resource" });
    const file = csvFile(tmp.path, "null.csv", "token,external_id", iosRows(80, 2));
    new TokenImportBatch(stack, "b", { app: ios, source: file, mode: "identified" });
    await prepareMigrations(app);
    const json = synthJson(stack);
    expect(json.resource.terraform_data).toBeUndefined();
    expect(json.terraform.required_providers.null.source).toBe("null");
    const b = json.resource.null_resource.b;
    const manifest = JSON.parse(b.triggers.manifest);
    expect(manifest).toMatchObject({ kind: "token-import-batch", counts: { valid: 2 } });
    expect(b.triggers.digest).toBe(manifest.digest);
    expect(b.provisioner[0]["local-exec"].environment.BRAZE_PUSH_MIGRATE_MANIFEST).toBe(
      "${self.triggers.manifest}",
    );
    expect(Testing.synth(stack)).toHaveResourceWithProperties(NullResource, {
      triggers: expect.objectContaining({ app_id: IOS_ID, mode: "identified" }),
    });
  });
});

describe("the example migration in stacks/", () => {
  it("synthesises both platforms and both modes from small files", async () => {
    const { buildStacks } = await import("../../stacks");
    const app = Testing.app();
    const cwd = process.cwd();
    process.chdir(join(__dirname, "..", ".."));
    try {
      buildStacks(app);
      await prepareMigrations(app);
    } finally {
      process.chdir(cwd);
    }
    const stack = app.node.findChild("acme") as BrazeMigrationStack;
    const resources = synthJson(stack).resource.terraform_data;
    const batches = Object.values<any>(resources).filter(
      (r) => r.input.kind === "token-import-batch",
    );
    expect(batches.map((b) => `${b.input.platform}/${b.input.mode}`).sort()).toEqual([
      "android/anonymous",
      "android/identified",
      "ios/anonymous",
      "ios/identified",
    ]);
    for (const b of batches) expect(statSync(join(cwd, b.input.source)).size).toBeLessThan(4096);
    expect(readdirSync(join(cwd, "stacks", "data")).length).toBe(4);
  });
});
