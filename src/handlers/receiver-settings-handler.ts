/**
 * Android receiver settings. Braze offers no API for flattening: Braze staff switch it on per
 * Android app on request (push_token_migration.md). The rules and the states are the engine's
 * (`src/push/receivers/`); this handler only picks the target and turns the state into an exit:
 *
 * - against the emulator (a loopback endpoint whose admin API answers) it switches the app's
 *   flattening as declared, so a rehearsal renders the payloads the old receiver will get;
 * - against Braze a setting that needs flattening stays pending (the resource fails, the next
 *   apply retries) until the stack names Braze's confirmation, and the handler prints the
 *   request to send.
 */
import { resolveEndpoint } from "../client/endpoint";
import type { HandlerEvent } from "../manifest/constants";
import type { ReceiverSettingsManifest } from "../manifest/manifest";
import { applyReceiverSetting, type ReceiverApplyTarget } from "../push/receivers/emulator-admin";
import { ReceiverError } from "../push/receivers/errors";
import { resolveReceiverSetting, type ResolvedReceiverSetting } from "../push/receivers/resolve";
import { endpointOf, type HandlerContext } from "./handler-context";
import { HandlerError } from "./handler-error";

/**
 * The engine's setting for a synthesised manifest: the recorded confirmation stands for the
 * flattening declared with it. The handler and the CLI's preview and test send resolve it so.
 */
export function receiverSettingOf(manifest: ReceiverSettingsManifest): ResolvedReceiverSetting {
  return resolveReceiverSetting({
    appId: manifest.app_id,
    receiver: manifest.receiver,
    keyValuePairs: manifest.key_value_pairs,
    flatten: manifest.flatten,
    ...(manifest.flatten_confirmation === undefined
      ? {}
      : { confirmation: { reference: manifest.flatten_confirmation, flatten: manifest.flatten } }),
  });
}

/** Reconciles one AndroidReceiverSettings resource. */
export async function handleReceiverSettings(
  event: HandlerEvent,
  manifest: ReceiverSettingsManifest,
  ctx: HandlerContext,
): Promise<void> {
  const path = manifest.construct_path;
  if (event === "destroy") {
    ctx.log(
      `[${path}] Braze's settings for app ${manifest.app_id} stay as they are; ask Braze to ` +
        "switch flattening off if the old receiver is gone",
    );
    return;
  }

  const setting = receiverSettingOf(manifest);
  const endpoint = endpointOf(manifest, ctx.env);
  const target: ReceiverApplyTarget = (await ctx.emulator.isEmulator(endpoint))
    ? { kind: "emulator", url: resolveEndpoint(endpoint) }
    : { kind: "braze" };

  let status;
  try {
    status = await applyReceiverSetting(setting, target, { appName: manifest.app_name });
  } catch (err) {
    if (!(err instanceof ReceiverError)) throw err;
    throw new HandlerError("FLATTEN_FAILED", path, err.message, { cause: err });
  }

  switch (status.state) {
    case "applied":
    case "not_checkable":
      ctx.log(`[${path}] ${target.kind === "emulator" ? "emulator: " : ""}${status.detail}`);
      return;
    case "pending_confirmation":
      ctx.log(`[${path}] request to send to Braze:`);
      for (const line of (status.requestText ?? "").trimEnd().split("\n")) ctx.log(`  ${line}`);
      throw new HandlerError(
        "FLATTEN_PENDING",
        path,
        `flattening is pending: ${status.detail}; in the stack that is \`flattenConfirmation\` ` +
          "on this construct (e.g. the ticket id), then apply again",
      );
    case "not_applied":
      throw new HandlerError("FLATTEN_FAILED", path, status.detail);
  }
}
