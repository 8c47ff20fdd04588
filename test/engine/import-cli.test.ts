import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { admin, APP, fcmToken, KEY, useEmulator } from "../helpers";

const CLI = join(__dirname, "..", "..", "dist", "src", "cli", "index.js");

describe("the import command of the built CLI", () => {
  const emulator = useEmulator({ config: { latency: { fixedMs: 40, jitterMs: 0 } } });
  const url = () => emulator.current.url;
  let dir: string;

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error("run `npm run build` before these tests");
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "import-cli-"));
    await admin(url(), "POST", "/reset");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function androidFile(count: number): string {
    const file = join(dir, "android.ndjson");
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ token: fcmToken(i) }));
    writeFileSync(file, lines.join("\n") + "\n");
    return file;
  }

  const env = () => ({ ...process.env, BRAZE_REST_ENDPOINT: url(), BRAZE_API_KEY: KEY });
  const withoutKey = (): NodeJS.ProcessEnv => {
    const environment: NodeJS.ProcessEnv = env();
    delete environment.BRAZE_API_KEY;
    return environment;
  };
  const args = (file: string, ...more: string[]) => [
    CLI,
    "import",
    file,
    "--app-id",
    APP.android,
    "--platform",
    "android",
    "--mode",
    "anonymous",
    "--ledger-dir",
    join(dir, "ledgers"),
    ...more,
  ];

  function run(argv: string[], environment: NodeJS.ProcessEnv = env()) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, argv, { env: environment, cwd: dir });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
  }

  it("resumes after SIGKILL without re-sending what Braze confirmed", async () => {
    const total = 3000;
    const file = androidFile(total);

    // a slow import (2 requests in flight, 40 ms each) killed once some tokens landed
    const child = spawn(process.execPath, args(file, "--concurrency", "2"), {
      env: env(),
      cwd: dir,
    });
    for (let i = 0; i < 200; i++) {
      const stats = (await admin(url(), "GET", "/stats")).body;
      if (stats.tokens >= 600) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    // requests the killed process had in flight still land (after the emulator's latency) and
    // must not be counted as the resumed run's
    await new Promise((r) => setTimeout(r, 400));

    const ledgers = readdirSync(join(dir, "ledgers")).filter((f) => f.endsWith(".sqlite"));
    expect(ledgers).toHaveLength(1);
    const db = new Database(join(dir, "ledgers", ledgers[0]), { readonly: true });
    const settled = db
      .prepare("SELECT count(*) FROM tokens WHERE outcome IN ('accepted', 'rejected')")
      .pluck()
      .get() as number;
    db.close();
    expect(settled).toBeGreaterThan(0);
    expect(settled).toBeLessThan(total);
    const lastBefore = (await admin(url(), "GET", "/requests?limit=1")).body.requests[0].id;

    const resumed = await run(args(file, "--json"));
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout);
    expect(report.complete).toBe(true);
    expect(report.settledBefore).toBe(settled);
    expect(report.outcomes).toEqual({ sent: 0, accepted: total, rejected: 0, unknown: 0 });

    // the resumed run sent exactly the tokens Braze had not confirmed
    const log = (await admin(url(), "GET", "/requests?limit=10000")).body.requests as {
      id: number;
      path: string;
      objects: number;
    }[];
    const sentAfter = log
      .filter((r) => r.id > lastBefore && r.path === "/users/track")
      .reduce((sum, r) => sum + r.objects, 0);
    expect(sentAfter).toBe(total - settled);
    expect((await admin(url(), "GET", "/stats")).body).toMatchObject({
      tokens: total,
      temporaryUsers: total,
    });
  });

  it("prints tokens only by their last 6 characters and never the key", async () => {
    const file = join(dir, "bad.ndjson");
    writeFileSync(
      file,
      `${JSON.stringify({ token: fcmToken(1) })}\n{"token":"ExponentPushToken[abcdefghijklmnop]"}\n`,
    );

    const plain = await run(args(file));
    const json = await run(args(file, "--json"));

    for (const out of [plain, json]) {
      expect(out.code).toBe(0);
      const text = out.stdout + out.stderr;
      expect(text).not.toContain(fcmToken(1));
      expect(text).not.toContain("ExponentPushToken[abcdefghijklmnop]");
      expect(text).not.toContain(KEY);
    }
    expect(plain.stdout).toContain("line 2:");

    // nor does any file the import wrote (the ledger and its WAL)
    const written = readdirSync(join(dir, "ledgers")).map((f) => join(dir, "ledgers", f));
    expect(written.length).toBeGreaterThan(0);
    for (const path of written) {
      const bytes = readFileSync(path).toString("latin1");
      expect(bytes).not.toContain(fcmToken(1));
      expect(bytes).not.toContain(KEY);
    }
  });

  it("writes neither the key nor a whole token into any file, wherever it writes", async () => {
    // the default ledger folder under the working directory, temporary files under TMPDIR
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    const file = androidFile(300);
    const argv = [CLI, "import", file, "--app-id", APP.android, "--platform", "android"];
    const res = await run([...argv, "--mode", "anonymous"], { ...env(), TMPDIR: tmp });
    expect(res.code).toBe(0);

    const written = listFiles(dir).filter((path) => path !== file);
    expect(written.some((path) => path.includes(".braze-push-migrate"))).toBe(true);
    for (const path of written) {
      const bytes = readFileSync(path).toString("latin1");
      expect(bytes).not.toContain(KEY);
      for (let i = 0; i < 300; i += 37) expect(bytes).not.toContain(fcmToken(i));
    }
  });

  it("needs no key for a dry run and exits 2 when the file has rejected rows", async () => {
    const file = join(dir, "web.ndjson");
    writeFileSync(file, `{"token":"https://fcm.googleapis.com/fcm/send/abc"}\n`);
    const noKey = withoutKey();

    const res = await run(args(file, "--dry-run"), noKey);

    expect(res.code).toBe(2);
    expect(res.stderr).toContain("dry run: nothing was sent");
    expect((await admin(url(), "GET", "/stats")).body.tokens).toBe(0);
  });

  it("fails with exit 1 and a message naming the variable when no key is set", () => {
    const noKey = withoutKey();
    const res = spawnSync(process.execPath, args(androidFile(3)), { env: noKey, cwd: dir });

    expect(res.status).toBe(1);
    expect(res.stderr.toString()).toContain("BRAZE_API_KEY");
  });
});

function listFiles(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}
