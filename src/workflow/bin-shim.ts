/**
 * How terraform finds the handler. The synthesised provisioners run the bare command
 * `braze-push-migrate`, so the Terraform JSON names no path of the machine that synthesised
 * it. The workflow commands put a folder holding a two-line shell script of that name, which
 * runs this very CLI with this very node, first on terraform's PATH.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { HANDLER_COMMAND } from "../manifest/constants";

/** A folder with the handler command in it; `dispose` removes it. */
export interface BinShim {
  readonly dir: string;
  /** `PATH` with the shim's folder first. */
  path(current: string | undefined): string;
  dispose(): void;
}

/** Writes the shim for the CLI script `cliScript`, run by the node at `nodePath`. */
export function createBinShim(cliScript: string, nodePath = process.execPath): BinShim {
  const dir = mkdtempSync(join(tmpdir(), "braze-push-migrate-bin-"));
  const file = join(dir, HANDLER_COMMAND);
  writeFileSync(file, `#!/bin/sh\nexec ${quote(nodePath)} ${quote(cliScript)} "$@"\n`);
  chmodSync(file, 0o755);
  return {
    dir,
    path: (current) => (current ? `${dir}${delimiter}${current}` : dir),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
