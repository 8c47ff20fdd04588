import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEmulator } from "../../src/emulator/server";
import { admin, APP, apnsToken, fcmToken, KEY, post } from "../helpers";

const CLI = resolve(__dirname, "..", "..", "dist", "src", "cli", "index.js");
const LISTENING = /^braze emulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/m;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "braze-persist-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("a data file", () => {
  it("keeps profiles, tokens, apps and keys across a restart", async () => {
    const dataFile = join(dir, "workspace.sqlite");

    // GIVEN an emulator on a new data file, with imports, an added app and an added key
    const first = await startEmulator({ port: 0, dataFile });
    let brazeId: string;
    let stats: unknown;
    try {
      expect(first.notes).toHaveLength(2);
      await admin(first.url, "POST", "/apps", {
        appId: "kept-android",
        name: "Kept Android",
        platform: "android",
        flatten: true,
      });
      await admin(first.url, "POST", "/keys", { key: "kept-key", permissions: ["users.track"] });
      const track = await post(first.url, "/users/track", {
        attributes: [
          {
            external_id: "p-1",
            country: "DE",
            push_tokens: [{ app_id: APP.ios, token: apnsToken(1), device_id: "device-0001" }],
          },
          {
            push_token_import: true,
            push_tokens: [{ app_id: "kept-android", token: fcmToken(1) }],
          },
        ],
      });
      expect(track.body).toEqual({ message: "success", attributes_processed: 2 });
      brazeId = (await exportUser(first.url, "p-1")).braze_id;
      stats = (await admin(first.url, "GET", "/stats")).body;
    } finally {
      await first.close();
    }

    // WHEN another emulator starts on the same file, without a config
    const second = await startEmulator({ port: 0, dataFile });
    try {
      // THEN it serves what the file holds and adds no defaults
      expect(second.notes).toEqual([]);
      expect((await admin(second.url, "GET", "/stats")).body).toEqual(stats);
      expect(await exportUser(second.url, "p-1")).toEqual({
        external_id: "p-1",
        braze_id: brazeId,
        country: "DE",
        push_tokens: [
          {
            app: "Emulated iOS",
            platform: "iOS",
            token: apnsToken(1),
            device_id: "device-0001",
            notifications_enabled: true,
          },
        ],
      });
      const query = new URLSearchParams({ app_id: "kept-android", token: fcmToken(1) });
      expect((await admin(second.url, "GET", `/tokens?${query}`)).body).toMatchObject({
        held: true,
        temporary: true,
      });
      const apps = (await admin(second.url, "GET", "/apps")).body.apps;
      expect(apps).toContainEqual({
        appId: "kept-android",
        name: "Kept Android",
        platform: "android",
        flatten: true,
      });
      expect(apps).toHaveLength(4);

      const withKeptKey = await post(
        second.url,
        "/users/track",
        { attributes: [{ external_id: "p-2", first_name: "P" }] },
        "kept-key",
      );
      expect(withKeptKey.status).toBe(201);
      expect(
        (await post(second.url, "/users/delete", { external_ids: [] }, "kept-key")).status,
      ).toBe(403);
      expect((await post(second.url, "/users/delete", { external_ids: ["p-2"] })).body).toEqual({
        message: "success",
        deleted: 1,
      });
    } finally {
      await second.close();
    }
  });

  it("forgets segment exports: their urls answer 404 after a restart", async () => {
    const dataFile = join(dir, "exports.sqlite");
    const first = await startEmulator({
      port: 0,
      dataFile,
      config: { limits: { segmentExportReadyDelayMs: 0 } },
    });
    let exportPath: string;
    try {
      const started = await post(first.url, "/users/export/segment", {
        segment_id: "all-users",
        fields_to_export: ["external_id"],
      });
      exportPath = new URL(started.body.url).pathname;
    } finally {
      await first.close();
    }

    const second = await startEmulator({ port: 0, dataFile });
    try {
      const res = await fetch(`${second.url}${exportPath}`);
      expect(res.status).toBe(404);
    } finally {
      await second.close();
    }
  });
});

describe("the emulator command of the built CLI", () => {
  beforeAll(() => {
    if (!existsSync(CLI)) {
      throw new Error(`${CLI} is missing: run \`npm run build\` before these tests`);
    }
  });

  it("prints where it listens on stdout, serves requests and exits 0 on SIGTERM", async () => {
    const config = writeConfig("sigterm.json", { apiKeys: { "cli-key": "*" } });
    const cli = runCli(["emulator", "--port", "0", "--config", config]);

    try {
      const url = await cli.listening();
      const track = await post(
        url,
        "/users/track",
        { attributes: [{ external_id: "cli-1", first_name: "C" }] },
        "cli-key",
      );
      expect(track.status).toBe(201);
      expect((await post(url, "/users/track", {}, KEY)).status).toBe(401);

      cli.child.kill("SIGTERM");
      const exit = await cli.exited;

      expect(exit).toEqual({ code: 0, signal: null });
      expect(cli.stdout()).toBe(`braze emulator listening on ${url}\n`);
      expect(cli.stderr()).toContain("braze-push-migrate: SIGTERM received, stopping");
      expect(cli.stderr()).not.toContain("no API keys configured");
    } finally {
      cli.child.kill("SIGKILL");
    }
  });

  it("exits 0 on SIGINT", async () => {
    const cli = runCli(["emulator", "--port", "0"]);

    try {
      await cli.listening();
      cli.child.kill("SIGINT");

      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expect(cli.stderr()).toContain("braze-push-migrate: SIGINT received, stopping");
    } finally {
      cli.child.kill("SIGKILL");
    }
  });

  it("names the default key and apps in its start-up notes when no config is given", async () => {
    const cli = runCli(["emulator", "--port", "0"]);

    try {
      const url = await cli.listening();

      expect(cli.stderr()).toContain(
        'braze-push-migrate: note: no API keys configured: serving "local-dev-key" with every ' +
          "permission\n",
      );
      expect(cli.stderr()).toContain(
        "braze-push-migrate: note: no apps configured: serving Emulated iOS (ios, " + APP.ios,
      );
      expect(cli.stderr()).toContain(
        "braze-push-migrate: note: state is in memory; pass --data <file> to keep it",
      );
      const track = await post(url, "/users/track", {
        attributes: [{ external_id: "cli-2", first_name: "C" }],
      });
      expect(track.status).toBe(201);
    } finally {
      cli.child.kill("SIGTERM");
      await cli.exited;
    }
  });

  it("keeps state in the --data file across runs", async () => {
    const data = join(dir, "cli.sqlite");

    const first = runCli(["emulator", "--port", "0", "--data", data]);
    try {
      const url = await first.listening();
      await post(url, "/users/track", {
        attributes: [
          { external_id: "cli-3", push_tokens: [{ app_id: APP.ios, token: apnsToken(3) }] },
        ],
      });
      expect(first.stderr()).not.toContain("state is in memory");
    } finally {
      first.child.kill("SIGTERM");
      expect(await first.exited).toEqual({ code: 0, signal: null });
    }

    const second = runCli(["emulator", "--port", "0", "--data", data]);
    try {
      const url = await second.listening();
      expect((await exportUser(url, "cli-3")).push_tokens[0].token).toBe(apnsToken(3));
      expect(second.stderr()).not.toContain("note: no API keys configured");
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });

  it("exits non-zero naming the file and the field of an invalid config", async () => {
    const config = writeConfig("bad-field.json", {
      limits: { segmentExportUsersPerFile: 0 },
    });

    const cli = runCli(["emulator", "--port", "0", "--config", config]);
    const exit = await cli.exited;

    expect(exit.code).toBe(1);
    expect(cli.stdout()).toBe("");
    expect(cli.stderr()).toContain(
      `braze-push-migrate: error: emulator config ${config} is not valid:\n` +
        "  limits.segmentExportUsersPerFile: ",
    );
  });

  it("exits non-zero naming an unknown field of the config", async () => {
    const config = writeConfig("unknown-field.json", { apiKey: { k: "*" } });

    const cli = runCli(["emulator", "--port", "0", "--config", config]);

    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr()).toContain(`emulator config ${config} is not valid`);
    expect(cli.stderr()).toContain('"apiKey"');
  });

  it("exits non-zero for a config that is not JSON or cannot be read", async () => {
    const notJson = join(dir, "not-json.json");
    writeFileSync(notJson, "{ apiKeys: ");
    const missing = join(dir, "missing.json");

    const first = runCli(["emulator", "--port", "0", "--config", notJson]);
    const second = runCli(["emulator", "--port", "0", "--config", missing]);

    expect((await first.exited).code).toBe(1);
    expect(first.stderr()).toContain(`emulator config ${notJson} is not valid JSON`);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toContain(`cannot read emulator config ${missing}: ENOENT`);
  });

  it("exits non-zero when the --data file cannot be opened", async () => {
    const data = join(dir, "no-such-folder", "state.sqlite");

    const cli = runCli(["emulator", "--port", "0", "--data", data]);

    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr()).toContain(
      `braze-push-migrate: error: cannot start the emulator: --data ${data} cannot be used: `,
    );
  });

  it("exits non-zero naming a --data file that is not a SQLite database", async () => {
    const data = join(dir, "not-a-database.sqlite");
    writeFileSync(data, "these bytes are not a SQLite database header ".repeat(20));

    const cli = runCli(["emulator", "--port", "0", "--data", data]);

    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr()).toContain(
      `braze-push-migrate: error: cannot start the emulator: --data ${data} cannot be used: ` +
        "file is not a database",
    );
  });

  it("exits non-zero with a hint when the port is taken", async () => {
    const taken = await startEmulator({ port: 0 });
    try {
      const port = new URL(taken.url).port;

      const cli = runCli(["emulator", "--port", port]);

      expect((await cli.exited).code).toBe(1);
      expect(cli.stderr()).toMatch(
        /braze-push-migrate: error: cannot start the emulator: .*EADDRINUSE.*; pick another --port/,
      );
    } finally {
      await taken.close();
    }
  });

  it("exits non-zero for a port that is not a port number", async () => {
    const cli = runCli(["emulator", "--port", "http"]);

    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr()).toContain(
      'braze-push-migrate: error: --port must be a whole number from 0 to 65535, got "http"',
    );
  });
});

// --- helpers ------------------------------------------------------------------------------

interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves with the base URL once the listening line is printed. */
  listening(timeoutMs?: number): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

function runCli(args: string[]): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("close", (code, signal) => done({ code, signal })),
  );

  const listening = (timeoutMs = 10_000) =>
    new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`the CLI printed no listening line; stderr:\n${stderr}`));
      }, timeoutMs);
      const poll = setInterval(() => {
        const match = LISTENING.exec(stdout);
        if (match) {
          clearInterval(poll);
          clearTimeout(timer);
          resolveUrl(match[1]);
        } else if (child.exitCode !== null) {
          clearInterval(poll);
          clearTimeout(timer);
          reject(new Error(`the CLI exited with ${child.exitCode}; stderr:\n${stderr}`));
        }
      }, 20);
    });

  return { child, listening, exited, stdout: () => stdout, stderr: () => stderr };
}

function writeConfig(name: string, config: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function exportUser(baseUrl: string, externalId: string) {
  const answer = await post(baseUrl, "/users/export/ids", {
    external_ids: [externalId],
    fields_to_export: ["external_id", "braze_id", "country", "push_tokens"],
  });
  return answer.body.users[0];
}
