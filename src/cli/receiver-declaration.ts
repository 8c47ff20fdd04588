import { join } from "node:path";
import type { Command } from "commander";
import { receiverSettingOf } from "../handlers/receiver-settings-handler";
import type { ReceiverSettingsManifest } from "../manifest/manifest";
import type { ResolvedReceiverSetting } from "../push/receivers/resolve";
import {
  pickReceiverSettings,
  pickStack,
  readStackManifests,
  synth,
  type SynthesisedStack,
} from "../workflow";
import { log } from "./output";

/** The flags that say where a receiver setting is declared. */
export interface DeclarationFlags {
  receiver: string;
  stack?: string;
  app?: string;
  output?: string;
  skipSynth?: boolean;
}

/** A receiver setting as the synthesised stack declares it. */
export interface ReceiverDeclaration {
  readonly stack: SynthesisedStack;
  readonly manifest: ReceiverSettingsManifest;
  readonly setting: ResolvedReceiverSetting;
}

/** Adds the flags that find a declaration, as plan and apply take them. */
export function addDeclarationOptions(command: Command): Command {
  return command
    .requiredOption(
      "--receiver <id>",
      "the AndroidReceiverSettings: its construct id (legacy-receiver) or path (acme/legacy-receiver)",
    )
    .option("--stack <name>", "the stack that declares it (needed when the app has several)")
    .option("--app <command>", "the command that synthesises the app (default: cdktf.json's app)")
    .option("--output <dir>", "the synth output folder (default: cdktf.json's output, cdktf.out)")
    .option("--skip-synth", "use the synthesised folder as it is (e.g. from an earlier CI job)");
}

/**
 * Finds a receiver setting the way plan and apply find a stack: synthesise through the app
 * command (unless --skip-synth), pick the stack, then read the setting's manifest from the
 * stack's Terraform JSON and resolve it with the engine's rules, as the handler does.
 *
 * @throws WorkflowError for a failed synth, an unknown stack or receiver, or a manifest this
 *   version does not understand
 */
export async function loadReceiverDeclaration(
  flags: DeclarationFlags,
): Promise<ReceiverDeclaration> {
  const stacks = await synth({
    cwd: process.cwd(),
    app: flags.app,
    output: flags.output,
    stack: flags.stack,
    skipSynth: flags.skipSynth === true,
    // synth runs no terraform, so the handler shim this names is never made
    cliScript: join(__dirname, "index.js"),
    log,
  });
  const stack = pickStack(stacks, flags.stack);
  const manifest = pickReceiverSettings(stack, readStackManifests(stack), flags.receiver);
  return { stack, manifest, setting: receiverSettingOf(manifest) };
}
