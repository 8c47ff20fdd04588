import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { apnsToken, fcmToken } from "../helpers";

// the built CLI, as a user runs it (`npm test` builds first)
const CLI = resolve(__dirname, "..", "..", "dist", "src", "cli", "index.js");

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "braze-validate-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("braze-push-migrate validate", () => {
  it("prints the report and exits 0 when every row is valid, without an API key", () => {
    const file = write("ok.csv", [
      "token,external_id",
      `${apnsToken(1)},u-1`,
      `${apnsToken(2)},u-2`,
    ]);

    const run = validate(file, "--platform", "ios", "--mode", "identified");

    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`file:       ${file} (csv)`);
    expect(run.stdout).toMatch(/^valid: +2$/m);
    expect(run.stdout).toMatch(/^rejected: +0$/m);
    expect(run.stdout).toMatch(/^digest: +sha256:[0-9a-f]{64}$/m);
  });

  it("exits 2 and prints the first rejections with file, line and rule, showing tokens by their last 6 characters", () => {
    const bad = `${apnsToken(3).slice(0, 58)}a1b2zz`;
    const file = write("bad.csv", [
      "token,external_id",
      `${apnsToken(1)},u-1`,
      `${bad},u-2`,
      `${fcmToken(1)},u-3`,
    ]);

    const run = validate(file, "--platform", "ios", "--mode", "identified", "--show", "1");

    expect(run.status).toBe(2);
    expect(run.stdout).toContain(
      `${file} line 3: token is not hex (…a1b2zz): APNs device tokens are hex strings; export the raw device token`,
    );
    expect(run.stdout).toContain("… 1 more rejected rows not shown");
    expect(run.stdout).toMatch(/^rejected: +2 \(APNS_NOT_HEX 1, APNS_TOKEN_LOOKS_LIKE_FCM 1\)$/m);
    for (const token of [apnsToken(1), bad, fcmToken(1)]) {
      expect(run.stdout + run.stderr).not.toContain(token.slice(-7));
    }
  });

  it("prints one JSON object with --json", () => {
    const file = join(dir, "onesignal.csv.gz");
    const csv = [
      "identifier,device_type,invalid_identifier,external_user_id",
      `${fcmToken(1)},1,f,u-1`,
      `${apnsToken(1)},0,f,u-2`,
      "https://example.com/push/made-up,5,f,u-3",
    ].join("\n");
    writeFileSync(file, gzipSync(csv));

    const run = validate(
      file,
      "--platform",
      "android",
      "--mode",
      "identified",
      "--preset",
      "onesignal",
      "--json",
    );

    expect(run.status).toBe(2);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      file,
      format: "csv",
      gzip: true,
      preset: "onesignal",
      counts: { rowsRead: 3, valid: 1, rejected: 1, skipped: 1 },
      rejectedByCode: { WEB_PUSH_NOT_IMPORTABLE: 1 },
      skippedByReason: { "ios rows": 1 },
    });
    expect(report.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("reads fields from the columns named with --column and sends --attribute columns", () => {
    const file = write("mapped.csv", ["device,owner,plan", `${fcmToken(1)},u-1,gold`]);

    const run = validate(
      file,
      ...["--platform", "android", "--mode", "identified", "--json"],
      ...["--column", "token=device", "--column", "external_id=owner", "--attribute", "plan"],
    );

    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).columns).toEqual({
      token: "device",
      external_id: "owner",
      "custom_attributes.plan": "plan",
    });
  });

  it("exits 1 with a message naming the file when it does not exist", () => {
    const file = join(dir, "nowhere.csv");
    const run = validate(file, "--platform", "ios", "--mode", "identified");
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `braze-push-migrate: error: cannot read token file ${file}: no such file`,
    );
    expect(run.stdout).toBe("");
  });

  it("exits 1 on usage errors: a missing --platform, an unknown --column field", () => {
    const file = write("usage.csv", ["token,external_id", `${apnsToken(1)},u-1`]);

    const noPlatform = validate(file, "--mode", "identified");
    const badColumn = validate(
      file,
      "--platform",
      "ios",
      "--mode",
      "identified",
      "--column",
      "user=x",
    );

    expect(noPlatform.status).toBe(1);
    expect(noPlatform.stderr).toContain("--platform");
    expect(badColumn.status).toBe(1);
    expect(badColumn.stderr).toContain('--column user=x: unknown field "user"');
  });
});

// helpers

function validate(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, "validate", ...args], {
    encoding: "utf8",
    env: { ...process.env, BRAZE_API_KEY: "" },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function write(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}
