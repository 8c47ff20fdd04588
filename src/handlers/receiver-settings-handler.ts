/**
 * Android receiver settings. Braze offers no API for flattening: Braze staff switch it on per
 * Android app on request (push_token_migration.md). So apply records the declared settings, and:
 *
 * - against the emulator it switches flattening through the admin API, so a rehearsal renders
 *   the payloads the old receiver will get;
 * - against Braze a setting that needs flattening stays pending (the resource fails, the next
 *   apply retries) until the stack names Braze's confirmation, and the handler prints the
 *   request to send.
 */
import type { HandlerEvent } from "../manifest/constants";
import type { ReceiverSettingsManifest } from "../manifest/manifest";
import { endpointOf, type HandlerContext } from "./handler-context";
import { HandlerError } from "./handler-error";

/** Reconciles one AndroidReceiverSettings resource. */
export async function handleReceiverSettings(
  event: HandlerEvent,
  manifest: ReceiverSettingsManifest,
  ctx: HandlerContext,
): Promise<void> {
  const path = manifest.construct_path;
  const keys = Object.keys(manifest.key_value_pairs);
  if (event === "destroy") {
    ctx.log(
      `[${path}] Braze's settings for app ${manifest.app_id} stay as they are; ask Braze to ` +
        "switch flattening off if the old receiver is gone",
    );
    return;
  }
  if (!manifest.flatten) {
    ctx.log(
      `[${path}] recorded ${keys.length} key-value pairs for app ${manifest.app_id}; ` +
        "without flattening Braze sends them inside the `extra` data key",
    );
    return;
  }

  const endpoint = endpointOf(manifest, ctx.env);
  if (await ctx.emulator.isEmulator(endpoint)) {
    try {
      await ctx.emulator.setFlatten(endpoint, manifest.app_id, true);
    } catch (err) {
      throw new HandlerError(
        "FLATTEN_FAILED",
        path,
        `the emulator did not switch flattening on for app ${manifest.app_id}: ` +
          `${(err as Error).message}; check that the app is declared in the emulator's config`,
        { cause: err },
      );
    }
    ctx.log(`[${path}] emulator: flattening on for app ${manifest.app_id} (${keys.length} pairs)`);
    return;
  }

  if (manifest.flatten_confirmation !== undefined) {
    ctx.log(
      `[${path}] flattening for app ${manifest.app_id} confirmed by Braze ` +
        `(${manifest.flatten_confirmation})`,
    );
    return;
  }
  for (const line of flattenRequest(manifest)) ctx.log(line);
  throw new HandlerError(
    "FLATTEN_PENDING",
    path,
    "flattening is pending: Braze has no API for it; send the request printed above to Braze " +
      "support, then set `flattenConfirmation` (e.g. the ticket id) on this construct and apply again",
  );
}

/** The request to send to Braze support, line by line. */
export function flattenRequest(manifest: ReceiverSettingsManifest): string[] {
  const pairs = Object.entries(manifest.key_value_pairs).map(([k, v]) => `    ${k} = ${v}`);
  return [
    `[${manifest.construct_path}] request to send to Braze support:`,
    `  Please enable flattening of custom key-value pairs for the Android app ` +
      `"${manifest.app_name}" (app_id ${manifest.app_id}).`,
    "  Our previous push provider's receiver reads these keys at the top level of the FCM data",
    "  map, not inside `extra`:",
    ...pairs,
  ];
}
