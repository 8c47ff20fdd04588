import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HandlerError, processContext, runHandler, type HandlerContext } from "../../src/handlers";
import { ManifestError, type BatchManifest, type Manifest } from "../../src/manifest";
import { validateTokenFile } from "../../src/tokens";
import { admin, APP, apnsToken, KEY, useEmulator } from "../helpers";

const emulator = useEmulator();
const url = () => emulator.current.url;
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "bpm-handlers-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  await admin(url(), "POST", "/reset");
});

/** Runs the handler as a provisioner would: manifest in the environment; returns the log. */
async function handle(
  event: "create" | "destroy",
  manifest: Manifest | string,
  env: NodeJS.ProcessEnv = {},
): Promise<string[]> {
  const lines: string[] = [];
  const base = processContext(
    {
      BRAZE_REST_ENDPOINT: url(),
      BRAZE_API_KEY: KEY,
      BRAZE_PUSH_MIGRATE_MANIFEST:
        typeof manifest === "string" ? manifest : JSON.stringify(manifest),
      BRAZE_PUSH_MIGRATE_LEDGER_DIR: join(dir, "ledgers"),
      ...env,
    },
    (line) => lines.push(line),
  );
  const ctx: HandlerContext = { ...base, cwd: dir };
  await runHandler(event, ctx);
  return lines;
}

async function failure(promise: Promise<unknown>): Promise<HandlerError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HandlerError) return err;
    throw err;
  }
  throw new Error("the handler did not fail");
}

const common = { version: 1 as const, api_key_env: "BRAZE_API_KEY" };

describe("the app handler", () => {
  const app = (appId: string, platform: "ios" | "android" | "web" = "ios"): Manifest => ({
    kind: "app",
    ...common,
    construct_path: "acme/ios",
    app_id: appId,
    name: "Acme iOS",
    platform,
  });

  it("checks an app_id the workspace knows and creates no profile", async () => {
    const log = await handle("create", app(APP.ios));
    expect(log).toEqual([
      `[acme/ios] app ${APP.ios} ("Acme iOS", ios) checked`,
      // a rehearsal: the emulator takes the declared name, which exports (and drift) use
      `[acme/ios] emulator: app ${APP.ios} renamed "Emulated iOS" -> "Acme iOS"`,
    ]);
    expect((await admin(url(), "GET", "/stats")).body.users).toBe(0);
    const apps = (await admin(url(), "GET", "/apps")).body.apps as {
      appId: string;
      name: string;
    }[];
    expect(apps.find((a) => a.appId === APP.ios)?.name).toBe("Acme iOS");
    // a second run has nothing to rename
    expect(await handle("create", app(APP.ios))).toEqual([
      `[acme/ios] app ${APP.ios} ("Acme iOS", ios) checked`,
    ]);
  });

  it("fails with the construct path when Braze does not know the app_id", async () => {
    const err = await failure(handle("create", app("not-an-app")));
    expect(err.code).toBe("APP_ID_REJECTED");
    expect(err.message).toMatch(/^\[acme\/ios\] Braze does not know app_id "not-an-app"/);
  });

  it("sends nothing for a web app, and leaves apps alone on destroy", async () => {
    expect(await handle("create", app(APP.web, "web"))).toEqual([
      '[acme/ios] web app "Acme iOS": nothing to check, no tokens are imported',
    ]);
    expect(await handle("destroy", app("whatever"))).toEqual([
      "[acme/ios] app whatever stays in Braze: apps are checked, never managed",
    ]);
  });

  it("names the key variable when it is not set, and never the key", async () => {
    const err = await failure(handle("create", { ...app(APP.ios), api_key_env: "ACME_KEY" }));
    expect(err.code).toBe("HANDLER_CONFIG");
    expect(err.message).toContain("ACME_KEY is not set");
  });
});

describe("the Android receiver settings handler", () => {
  const receiver = (extra: Partial<Manifest> = {}): Manifest =>
    ({
      kind: "android-receiver-settings",
      ...common,
      construct_path: "acme/legacy-receiver",
      app_id: APP.android,
      app_path: "acme/android",
      app_name: "Acme Android",
      receiver: "custom",
      key_value_pairs: { sender: "acme-legacy", display: "legacy" },
      flatten: true,
      ...extra,
    }) as Manifest;

  it("switches flattening on in the emulator through its admin API", async () => {
    const log = await handle("create", receiver());
    expect(log).toEqual([
      `[acme/legacy-receiver] emulator: the emulator's app ${APP.android} is flattened, as declared`,
    ]);
    const apps = (await admin(url(), "GET", "/apps")).body.apps;
    expect(apps.find((a: any) => a.appId === APP.android).flatten).toBe(true);
  });

  it("against Braze stays pending without a confirmation and prints the request", async () => {
    const err = await failure(handle("create", receiver({ endpoint: "US-03" })));
    expect(err.code).toBe("FLATTEN_PENDING");
    expect(err.message).toContain("`flattenConfirmation` on this construct");
    const printed = await captureLog(receiver({ endpoint: "US-03" }));
    expect(printed[0]).toBe("[acme/legacy-receiver] request to send to Braze:");
    expect(printed.join("\n")).toContain(
      `Please switch on the flattening of Android push key-value pairs for the Android app "Acme Android" (app_id ${APP.android})`,
    );
    expect(printed.join("\n")).toContain("sender");
  });

  it("treats a loopback server that is not the emulator as Braze", async () => {
    const server = await plainServer();
    try {
      const port = (server.address() as AddressInfo).port;
      const err = await failure(
        handle("create", receiver({ endpoint: `http://127.0.0.1:${port}` })),
      );
      expect(err.code).toBe("FLATTEN_PENDING");
    } finally {
      server.close();
    }
  });

  it("is applied once Braze's confirmation is declared", async () => {
    const log = await handle(
      "create",
      receiver({ endpoint: "US-03", flatten_confirmation: "ticket 4711" } as never),
    );
    expect(log).toHaveLength(1);
    expect(log[0]).toContain(
      `Braze confirmed app ${APP.android} flattened (reference ticket 4711)`,
    );
  });

  it("applies a setting without flattening, and retains Braze's setting on destroy", async () => {
    await admin(url(), "POST", `/apps/${APP.android}/flatten`, { flatten: true });
    expect((await handle("create", receiver({ flatten: false } as never)))[0]).toContain(
      "is not flattened, as declared",
    );
    expect((await handle("destroy", receiver()))[0]).toContain("stay as they are");
  });

  // the log of a run that fails (no endpoint variable: the manifest names Braze's)
  async function captureLog(manifest: Manifest): Promise<string[]> {
    const lines: string[] = [];
    const ctx: HandlerContext = {
      ...processContext(
        { BRAZE_API_KEY: KEY, BRAZE_PUSH_MIGRATE_MANIFEST: JSON.stringify(manifest) },
        (line) => lines.push(line),
      ),
      cwd: dir,
    };
    await runHandler("create", ctx).catch(() => undefined);
    return lines;
  }
});

describe("the token batch handler", () => {
  async function batch(appId: string, tokens: string[]): Promise<BatchManifest> {
    const file = join(dir, `batch-${tokens.length}-${appId.slice(-3)}.csv`);
    writeFileSync(file, ["token,external_id", ...tokens.map((t, i) => `${t},hb-${i}`)].join("\n"));
    const report = await validateTokenFile({ file, platform: "ios", mode: "identified" });
    return {
      kind: "token-import-batch",
      ...common,
      construct_path: "acme/ios-known-users",
      app_id: appId,
      app_path: "acme/ios",
      app_name: "Acme iOS",
      platform: "ios",
      mode: "identified",
      source: "data/ios.csv",
      file: file.slice(dir.length + 1),
      digest: report.digest,
      preset: "plain",
      format: "csv",
      columns: {},
      attributes: {},
      accept_installation_ids: false,
      counts: {
        rows_read: 2,
        valid: 2,
        rejected: 0,
        duplicates: 0,
        skipped: 0,
        warnings: 0,
      },
    };
  }

  it("imports, then resumes from the ledger without sending again", async () => {
    const manifest = await batch(APP.ios, [apnsToken(1), apnsToken(2)]);
    const first = await handle("create", manifest);
    expect(first[0]).toContain("sending all 2 valid rows of data/ios.csv");
    expect(first[1]).toContain("2 accepted");
    const again = await handle("create", manifest);
    expect(again[0]).toContain("resuming data/ios.csv from its ledger");
    expect(again[1]).toContain("2 accepted (2 by an earlier run)");
    expect(again[1]).toContain("0 requests");
  });

  it("names the app's construct path when Braze rejects its app_id", async () => {
    const err = await failure(handle("create", await batch("no-such-app", [apnsToken(3)])));
    expect(err.code).toBe("APP_ID_REJECTED");
    expect(err.message).toContain("[acme/ios-known-users] Braze rejected app_id no-such-app");
    expect(err.message).toContain("of app acme/ios");
  });

  it("refuses a file whose digest is not the declared one, sending nothing", async () => {
    const manifest = await batch(APP.ios, [apnsToken(4)]);
    const err = await failure(
      handle("create", { ...manifest, digest: `sha256:${"0".repeat(64)}` }),
    );
    expect(err.code).toBe("IMPORT_STOPPED");
    expect(err.message).toContain("the file changed after it was declared");
    expect((await admin(url(), "GET", "/stats")).body.tokens).toBe(0);
  });

  it("fails clearly when the copy of the file is missing", async () => {
    const manifest = await batch(APP.ios, [apnsToken(5)]);
    const err = await failure(handle("create", { ...manifest, file: "assets/gone.csv" }));
    expect(err.code).toBe("HANDLER_CONFIG");
    expect(err.message).toContain("the copy of data/ios.csv is missing at assets/gone.csv");
  });

  it("retains the tokens on destroy and says so", async () => {
    const log = await handle("destroy", await batch(APP.ios, [apnsToken(6)]));
    expect(log[0]).toMatch(/^\[acme\/ios-known-users\] retained: the 2 tokens of data\/ios\.csv/);
  });
});

describe("manifests", () => {
  it("refuses a missing manifest and one of another version", async () => {
    await expect(runHandler("create", { ...processContext({}, () => undefined) })).rejects.toThrow(
      ManifestError,
    );
    const err = await handle("create", JSON.stringify({ kind: "app", version: 9 })).catch(
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toContain("synthesise again");
  });
});

function plainServer(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => {
      res.statusCode = 404;
      res.end("not here");
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}
