import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const SRC = join(__dirname, "..", "..", "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    return statSync(file).isDirectory() ? sources(file) : file.endsWith(".ts") ? [file] : [];
  });
}

describe("layering", () => {
  it("keeps cdktf and constructs out of everything but src/constructs and the package root", () => {
    const offenders = sources(SRC)
      .map((file) => relative(SRC, file))
      .filter((file) => !file.startsWith("constructs") && file !== "index.ts")
      .filter((file) =>
        /from "(cdktf|constructs|@cdktf\/[^"]+)(\/[^"]*)?"|require\("cdktf/.test(
          readFileSync(join(SRC, file), "utf8"),
        ),
      );
    expect(offenders).toEqual([]);
  });

  it("keeps the engine's modules from importing the constructs", () => {
    const offenders = sources(SRC)
      .map((file) => relative(SRC, file))
      .filter((file) => !file.startsWith("constructs") && file !== "index.ts")
      .filter((file) =>
        /from "\.\.?\/(\.\.\/)*constructs/.test(readFileSync(join(SRC, file), "utf8")),
      );
    expect(offenders).toEqual([]);
  });
});
