import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const CLI = join(__dirname, "..", "..", "dist", "src", "cli", "index.js");

// `npm start` runs this command: a newcomer's first contact with the project
describe("the demo command of the built CLI", () => {
  it("imports both sample files, resumes without re-sending, and reads the workspace back", () => {
    if (!existsSync(CLI)) throw new Error("run `npm run build` before these tests");
    const res = spawnSync(process.execPath, [CLI, "demo"], { encoding: "utf8", timeout: 60_000 });
    const out = res.stderr;

    expect(res.status).toBe(0);
    expect(out).toMatch(/identified import of ios\.csv: 5 valid rows, 1 refused .* 5 accepted/);
    expect(out).toContain("ios.csv line 7: token is not hex");
    expect(out).toMatch(
      /anonymous import of android\.ndjson: 8 valid rows, 0 refused .* 8 accepted/,
    );
    expect(out).toMatch(/identified import again .* 0 requests, 5 accepted \(5 already confirmed/);
    expect(out).toMatch(/Braze now holds for user-6: Emulated Android …\S{6}\n/);
    expect(out).toContain('"users":13,"temporaryUsers":7,"tokens":13');
  });
});
