import type { Command } from "commander";
import { getGlobalDispatcher } from "undici";
import { BrazeClient } from "../client/braze-client";
import { BRAZE_API_KEY_ENV, BRAZE_REST_ENDPOINT_ENV } from "../client/endpoint";
import { isBrazeError } from "../client/errors";
import { undiciEmulatorAdmin } from "../handlers/handler-context";
import {
  checkReceiverSetting,
  previewAndroidPush,
  readEmulatorOutbox,
  ReceiverError,
  sendTestPush,
  type ReceiverMessage,
} from "../push/receivers";
import { WorkflowError } from "../workflow";
import { compareDeliveries, printPreview, printSendTest, type CliWarning } from "./android-output";
import { fail } from "./output";
import {
  addDeclarationOptions,
  loadReceiverDeclaration,
  type DeclarationFlags,
} from "./receiver-declaration";

interface MessageFlags extends DeclarationFlags {
  alert: string;
  title?: string;
  extra: string[];
  json?: boolean;
}

interface PreviewFlags extends MessageFlags {
  flatten?: boolean;
}

interface SendTestFlags extends MessageFlags {
  externalId: string[];
}

/**
 * `braze-push-migrate android preview | send-test`: what a device with the old provider's
 * receiver gets from Braze for a receiver setting the stack declares. preview prints the FCM
 * data map (exit 0, or 2 with warnings); send-test sends it through /messages/send and, on
 * the emulator, reads what each device got. Both exit 1 on an error.
 */
export function registerAndroidCommands(program: Command): void {
  const android = program
    .command("android")
    .description("Android receivers of the old provider: preview and test-send Braze's pushes");

  message(addDeclarationOptions(android.command("preview")))
    .description("print the FCM data map Braze delivers for a declared receiver setting")
    .option("--flatten", "render flattened, whatever the stack declares")
    .option("--no-flatten", "render not flattened, whatever the stack declares")
    .option("--json", "print the preview as one versioned JSON document")
    .action(async (flags: PreviewFlags) => {
      await guard(async () => {
        const parsed = messageOf(flags);
        const declaration = await loadReceiverDeclaration(flags);
        const preview = previewAndroidPush(declaration.setting, parsed(declaration.manifest), {
          flatten: flags.flatten,
        });
        printPreview(declaration, preview, flags.json === true);
        if (preview.warnings.length > 0 || preview.issues.length > 0) process.exitCode = 2;
      });
    });

  message(addDeclarationOptions(android.command("send-test")))
    .description("send a test push with the declared pairs to test users through /messages/send")
    .requiredOption(
      "--external-id <id>",
      "a test user's external_id (repeat for more, up to 50)",
      collect,
      [],
    )
    .option("--json", "print what was sent and delivered as one versioned JSON document")
    .action(async (flags: SendTestFlags) => {
      await guard(() => sendTest(flags));
    });
}

async function sendTest(flags: SendTestFlags): Promise<void> {
  const parsed = messageOf(flags);
  const declaration = await loadReceiverDeclaration(flags);
  const { manifest, setting } = declaration;

  // the stack names the key's variable and maybe the endpoint, as for the handlers
  const endpoint = manifest.endpoint ?? process.env[BRAZE_REST_ENDPOINT_ENV];
  if (endpoint === undefined || endpoint.trim() === "") {
    throw new CliError(
      `no Braze endpoint: stack "${declaration.stack.name}" declares none and ` +
        `${BRAZE_REST_ENDPOINT_ENV} is not set; set it to the REST endpoint (the emulator's URL ` +
        "for a rehearsal)",
    );
  }
  const apiKey = process.env[manifest.api_key_env];
  if (apiKey === undefined || apiKey.trim() === "") {
    throw new CliError(
      `${manifest.api_key_env} is not set: stack "${declaration.stack.name}" reads the REST API ` +
        `key from it; export a key with the messages.send permission`,
    );
  }
  const client = BrazeClient.fromEnv(
    {},
    { [BRAZE_REST_ENDPOINT_ENV]: endpoint, [BRAZE_API_KEY_ENV]: apiKey },
  );

  try {
    // the emulator is a loopback endpoint whose admin API answers; it also says how its app is
    // flattened now, which decides what the devices get
    const emulator = await undiciEmulatorAdmin.isEmulator(endpoint);
    const url = client.endpoint;
    const status = emulator ? await checkReceiverSetting(setting, { kind: "emulator", url }) : null;

    const sent = await sendTestPush(client, {
      setting,
      message: parsed(manifest),
      externalIds: flags.externalId,
    });
    const warnings: CliWarning[] = [...sent.expected.warnings];
    const deliveries = emulator
      ? compareDeliveries(await readEmulatorOutbox(url, sent.dispatchId), sent, status, warnings)
      : undefined;

    printSendTest(declaration, { sent, emulator, deliveries, warnings }, flags.json === true);
    if (warnings.length > 0) process.exitCode = 2;
  } finally {
    await client.close();
  }
}

function message(command: Command): Command {
  return command
    .requiredOption("--alert <text>", "the notification text (Braze's alert)")
    .option("--title <text>", "the title (default: the app's name as declared)")
    .option("--extra <key=value>", "a pair for this push only, in extra (repeatable)", collect, []);
}

/** Checks the message flags before anything is synthesised; the title defaults to the app. */
function messageOf(flags: MessageFlags): (manifest: { app_name: string }) => ReceiverMessage {
  if (flags.alert.trim() === "") {
    throw new CliError(
      '--alert is empty: give the notification text, e.g. --alert "Your order shipped" (the ' +
        "receivers show nothing without one)",
    );
  }
  if (flags.title !== undefined && flags.title.trim() === "") {
    throw new CliError(
      "--title is empty: give the title, or leave --title out to use the app's name",
    );
  }
  const extra: Record<string, string> = {};
  for (const pair of flags.extra) {
    const at = pair.indexOf("=");
    if (at <= 0) {
      throw new CliError(
        `--extra "${pair}" is not key=value with a key: write it as --extra screen=orders`,
      );
    }
    const key = pair.slice(0, at);
    if (key in extra) {
      throw new CliError(`--extra "${key}" is given twice: give each key once`);
    }
    extra[key] = pair.slice(at + 1);
  }

  return (manifest) => ({
    alert: flags.alert,
    title: flags.title ?? manifest.app_name,
    ...(Object.keys(extra).length === 0 ? {} : { extra }),
  });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A bad flag or setting found by the command itself. */
class CliError extends Error {}

async function guard(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (
      err instanceof CliError ||
      err instanceof WorkflowError ||
      err instanceof ReceiverError ||
      isBrazeError(err)
    ) {
      fail(err.message, err instanceof WorkflowError ? err.exitCode : 1);
    }
    throw err;
  } finally {
    // kept-alive sockets of the shared agent (admin API reads) would hold the process open
    await getGlobalDispatcher().close();
  }
}
