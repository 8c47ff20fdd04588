/**
 * Apps are checked, not created: Braze has no API that creates or lists apps (braze-api.md,
 * "Reading back"), so the handler verifies the one thing it can, that the workspace knows the
 * app_id.
 */
import { resolveEndpoint } from "../client/endpoint";
import { isBrazeError, type BrazeBadRequestError } from "../client/errors";
import { nameEmulatorApp } from "../push/receivers/emulator-admin";
import type { TrackRejection } from "../client/schemas";
import type { AppManifest } from "../manifest/manifest";
import type { HandlerEvent } from "../manifest/constants";
import { endpointOf, type HandlerContext } from "./handler-context";
import { brazeFailure } from "./braze-failure";
import { HandlerError } from "./handler-error";

/** The external_id of the probe; update-only, so no profile is ever created for it. */
export const APP_CHECK_EXTERNAL_ID = "braze-push-migrate-app-check-do-not-create";

/**
 * create: sends one `/users/track` object for a user that does not exist, with
 * `_update_existing_only: true` and a push token for the app. Braze answers
 * `BAD_PUSH_TOKEN_APP_ID` when the app_id is not an app of the workspace and otherwise creates
 * nothing (user_attributes_object.md: update-only mode never creates a profile).
 *
 * Shortcoming: that Braze checks push_tokens before finding that the user does not exist is
 * inferred from its documented error codes, not documented; when it does not, a wrong app_id
 * is caught by the first batch request instead (its rejections name the app's construct path).
 *
 * destroy: nothing in Braze changes; the app stays.
 */
export async function handleApp(
  event: HandlerEvent,
  manifest: AppManifest,
  ctx: HandlerContext,
): Promise<void> {
  const path = manifest.construct_path;
  if (event === "destroy") {
    ctx.log(`[${path}] app ${manifest.app_id} stays in Braze: apps are checked, never managed`);
    return;
  }
  if (manifest.platform === "web") {
    // web push tokens have another schema: nothing of this app goes through push_tokens
    ctx.log(`[${path}] web app "${manifest.name}": nothing to check, no tokens are imported`);
    return;
  }

  const client = ctx.client(manifest);
  const probe = {
    external_id: APP_CHECK_EXTERNAL_ID,
    _update_existing_only: true,
    push_tokens: [{ app_id: manifest.app_id, token: APP_CHECK_EXTERNAL_ID }],
  };
  let rejected: readonly TrackRejection[];
  try {
    rejected = (await client.track({ attributes: [probe] }, { idempotent: true })).rejected;
  } catch (err) {
    // a request whose only object is invalid is refused whole, naming the object
    if (!isBrazeError(err, "BRAZE_BAD_REQUEST")) throw brazeFailure(path, err);
    rejected = (err as BrazeBadRequestError).rejected;
  } finally {
    await client.close();
  }

  if (rejected.some((r) => r.type === "BAD_PUSH_TOKEN_APP_ID")) {
    throw new HandlerError(
      "APP_ID_REJECTED",
      path,
      `Braze does not know app_id "${manifest.app_id}" ("${manifest.name}", ${manifest.platform}) ` +
        "in this workspace (BAD_PUSH_TOKEN_APP_ID): copy the app's identifier from the " +
        "dashboard's API Keys page of the same workspace as the API key",
    );
  }
  ctx.log(`[${path}] app ${manifest.app_id} ("${manifest.name}", ${manifest.platform}) checked`);

  // a rehearsal: the emulator takes the declared name, which Braze's exports (and so drift)
  // use for the app
  const endpoint = endpointOf(manifest, ctx.env);
  if (await ctx.emulator.isEmulator(endpoint)) {
    const before = await nameEmulatorApp(resolveEndpoint(endpoint), manifest.app_id, manifest.name);
    if (before !== undefined) {
      ctx.log(
        `[${path}] emulator: app ${manifest.app_id} renamed "${before}" -> "${manifest.name}"`,
      );
    }
  }
}
