import type { Command } from "commander";
import { loadConfigFile, type EmulatorConfig } from "../emulator/config";
import { startEmulator } from "../emulator/server";
import { fail, log } from "./output";

interface EmulatorFlags {
  port: string;
  host: string;
  data?: string;
  config?: string;
}

/** `braze-push-migrate emulator`: runs the local Braze emulator until SIGINT or SIGTERM. */
export function registerEmulatorCommand(program: Command): void {
  program
    .command("emulator")
    .description("run a local, stateful Braze workspace emulator")
    .option("--port <n>", "port to listen on (0 picks a free one)", "3000")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--data <file.sqlite>", "keep state in this SQLite file (default: in memory)")
    .option("--config <file.json>", "keys, apps, limits, latency and faults (see README)")
    .action(async (flags: EmulatorFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        fail(`--port must be a whole number from 0 to 65535, got "${flags.port}"`);
      }
      let config: EmulatorConfig | undefined;
      try {
        config = flags.config === undefined ? undefined : loadConfigFile(flags.config);
      } catch (err) {
        fail((err as Error).message);
      }

      const emulator = await startEmulator({
        port,
        host: flags.host,
        dataFile: flags.data,
        config,
      }).catch((err: NodeJS.ErrnoException) => {
        // better-sqlite3 names neither the file nor a fix, so say which flag is at fault
        if (
          flags.data !== undefined &&
          (err.name === "SqliteError" || /database/i.test(err.message))
        ) {
          return fail(
            `cannot start the emulator: --data ${flags.data} cannot be used: ${err.message}; ` +
              "pass a SQLite file in a folder that exists, or leave --data out to keep state in memory",
          );
        }
        const hint = err.code === "EADDRINUSE" ? "; pick another --port" : "";
        return fail(`cannot start the emulator: ${err.message}${hint}`);
      });

      for (const note of emulator.notes) log(`note: ${note}`);
      if (flags.data === undefined) log("note: state is in memory; pass --data <file> to keep it");
      console.log(`braze emulator listening on ${emulator.url}`);

      const stop = (signal: string) => {
        log(`${signal} received, stopping`);
        emulator.close().then(
          () => process.exit(0),
          (err: unknown) => fail(`error while stopping: ${String(err)}`),
        );
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
    });
}
