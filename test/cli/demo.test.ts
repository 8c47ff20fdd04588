import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const CLI = join(__dirname, "..", "..", "dist", "src", "cli", "index.js");

jest.setTimeout(120_000);

// `npm start` runs this command: a newcomer's first contact with the project
describe("the demo command of the built CLI", () => {
  it("plans, applies through terraform, and shows drift clean, then with each state", () => {
    if (!existsSync(CLI)) throw new Error("run `npm run build` before these tests");
    const res = spawnSync(process.execPath, [CLI, "demo"], {
      encoding: "utf8",
      timeout: 110_000,
      env: { ...process.env, BRAZE_API_KEY: "", BRAZE_REST_ENDPOINT: "" },
    });
    const out = res.stderr;
    const project = /project: +(\S+)/.exec(out)?.[1];
    try {
      expect(res.status).toBe(0);
      // the plan a reviewer sees, then the apply
      expect(out).toMatch(/\+ batch acme\/ios-known-users: import 4 tokens/);
      expect(out).toContain("applied: 7 resources");
      // drift clean, then one token claimed by the SDK, one removed, one moved
      expect(out).toContain(
        "declared 14: in_sync 14, claimed_by_sdk 0, moved 0, removed 0, missing 0, not_checked 0; undeclared 0",
      );
      expect(out).toMatch(/declared 14: in_sync 11, claimed_by_sdk 1, moved 1, removed 1/);
      expect(out).toMatch(/acme\/android-anonymous line 1 …\S{6}: claimed_by_sdk/);
      expect(out).toMatch(/acme\/android-anonymous line 2 …\S{6}: removed/);
      expect(out).toMatch(/acme\/ios-known-users line 2 …\S{6}: moved/);
      // where the files are: the state and ledgers of a project of its own
      expect(project).toBeDefined();
      expect(readdirSync(project!)).toEqual(
        expect.arrayContaining(["cdktf.out", "terraform.acme.tfstate", ".braze-push-migrate"]),
      );
      // no whole token of the example's files, and never the key
      for (const token of exampleTokens()) expect(out).not.toContain(token);
      expect(out).not.toContain("local-dev-key");
    } finally {
      if (project !== undefined) rmSync(project, { recursive: true, force: true });
    }
  });
});

// every token-shaped value of the example's token files
function exampleTokens(): string[] {
  const data = join(__dirname, "..", "..", "stacks", "data");
  return readdirSync(data).flatMap(
    (name) =>
      readFileSync(join(data, name), "utf8").match(/[0-9a-f]{64}|[\w-]+:APA91b[\w-]+/g) ?? [],
  );
}
