/**
 * The CLI's only way to print: short lines prefixed with the program name on stderr, so stdout
 * stays free for results and `--json`. Library code never prints.
 */
const PREFIX = "braze-push-migrate:";

/** Prints a status line to stderr. */
export function log(message: string): void {
  console.error(`${PREFIX} ${message}`);
}

/** Prints an error to stderr and exits with `code`. */
export function fail(message: string, code = 1): never {
  console.error(`${PREFIX} error: ${message}`);
  process.exit(code);
}
