/**
 * The pending/confirmed flow of an Android receiver setting through the real `terraform`
 * binary, against a stand-in for real Braze: a loopback server that answers /users/track and
 * is not the emulator (no admin API), so nothing can switch flattening on. The apply fails with
 * the request to send to Braze until the stack carries the confirmation; then it completes.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APP } from "../helpers";
import { CLI, runCli } from "./terraform-helpers";

jest.setTimeout(180_000);

const KEY = "receiver-flow-key-31f7";
const KEY_ENV = "RECEIVER_FLOW_KEY";
const REPO = join(__dirname, "..", "..");

describe("an Android receiver setting against Braze, through terraform", () => {
  let project: string;
  let server: Server;
  let endpoint: string;
  const seen: string[] = [];

  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    [KEY_ENV]: KEY,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    TF_CLI_CONFIG_FILE: join(project, "empty.tfrc"),
  });
  const cli = (args: string[]) => runCli(args, project, env());
  const declare = (confirmation?: string) =>
    writeFileSync(join(project, "receiver.json"), JSON.stringify({ endpoint, confirmation }));

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("run `npm run build` before these tests");
    // Braze as far as the app check can tell: /users/track answers success; no admin API
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on("end", () => {
        if (req.method === "POST" && req.url === "/users/track") {
          res.writeHead(201, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: "success" }));
        } else {
          res.writeHead(404, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: "not found" }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    project = mkdtempSync(join(tmpdir(), "bpm-receiver-"));
    writeFileSync(join(project, "empty.tfrc"), "");
    writeFileSync(join(project, "cdktf.json"), JSON.stringify({ app: "node app.js" }));
    writeFileSync(
      join(project, "app.js"),
      `const { readFileSync } = require("node:fs");
const { App } = require(${JSON.stringify(require.resolve("cdktf"))});
const m = require(${JSON.stringify(join(REPO, "dist", "src", "index.js"))});
const spec = JSON.parse(readFileSync("receiver.json", "utf8"));
const app = new App();
const stack = new m.BrazeMigrationStack(app, "acme", { endpoint: spec.endpoint, apiKeyEnvVar: ${JSON.stringify(KEY_ENV)} });
const android = new m.BrazeApp(stack, "android", { appId: ${JSON.stringify(APP.android)}, name: "Acme Android", platform: "android" });
new m.AndroidReceiverSettings(stack, "legacy-receiver", {
  app: android, receiver: "onesignal", flatten: true, flattenConfirmation: spec.confirmation,
});
m.synthMigrations(app).catch((e) => { console.error(e.message); process.exit(1); });
`,
    );
  });
  afterAll(async () => {
    rmSync(project, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  it("plans the setting as pending confirmation, with the request to send to Braze", async () => {
    declare();
    const run = await cli(["plan", "--json"]);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout);
    expect(report.stacks[0].receiverSettings[0]).toMatchObject({
      path: "acme/legacy-receiver",
      target: "braze",
      state: "pending_confirmation",
    });
    expect(report.stacks[0].receiverSettings[0].requestText).toContain(APP.android);
  });

  it("fails the apply while flattening is not confirmed, printing the request", async () => {
    declare();
    const run = await cli(["apply", "--auto-approve"]);
    expect(run.code).toBe(1);
    expect(run.output).toContain("request to send to Braze");
    expect(run.output).toContain(`(app_id ${APP.android})`);
    expect(run.output).toContain("flattenConfirmation");
    // the stand-in was never asked to switch anything: it has no such API, nor has Braze
    expect(seen.filter((s) => s.includes("flatten"))).toEqual([]);
  });

  it("completes once the stack carries Braze's confirmation, and then has nothing to do", async () => {
    declare("Braze support ticket 4711");
    const run = await cli(["apply", "--auto-approve"]);
    expect(run.code).toBe(0);
    expect(run.output).toContain("ticket 4711");

    const again = await cli(["plan", "--json"]);
    expect(again.code).toBe(0);
    expect(again.output).not.toContain(KEY);
  });
});
