#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { registerAndroidCommands } from "./android-command";
import { registerDemoCommand } from "./demo-command";
import { registerDriftCommand } from "./drift-command";
import { registerEmulatorCommand } from "./emulator-command";
import { registerHandlerCommand } from "./handler-command";
import { registerImportCommand } from "./import-command";
import { registerValidateCommand } from "./validate-command";
import { registerWorkflowCommands } from "./workflow-commands";

const program = new Command();
program
  .name("braze-push-migrate")
  .description("move existing APNs and FCM push tokens into Braze, declared in code")
  .version(packageVersion());

registerEmulatorCommand(program);
registerDemoCommand(program);
registerValidateCommand(program);
registerImportCommand(program);
registerHandlerCommand(program);
registerWorkflowCommands(program);
registerAndroidCommands(program);
registerDriftCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`braze-push-migrate: error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

// dist/src/cli/index.js sits three folders below package.json
function packageVersion(): string {
  const file = join(__dirname, "..", "..", "..", "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}
