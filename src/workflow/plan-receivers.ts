/**
 * Where the plan judges each Android receiver setting. The endpoint decides, as it does for the
 * handlers: a loopback URL whose emulator admin API answers is the emulator (its app's
 * flattening is read now), any other endpoint (a loopback server that is not the emulator
 * included) is real Braze (nothing can be read there, so the
 * declaration alone decides). Without an endpoint the plan cannot tell them apart and judges as
 * against Braze, saying so. Only the emulator on 127.0.0.1 is ever contacted.
 */
import { BRAZE_REST_ENDPOINT_ENV, isLoopbackHost, resolveEndpoint } from "../client/endpoint";
import { undiciEmulatorAdmin } from "../handlers/handler-context";
import { receiverSettingOf } from "../handlers/receiver-settings-handler";
import type { Manifest, ReceiverSettingsManifest } from "../manifest/manifest";
import { readEmulatorApp, type EmulatorApp } from "../push/receivers/emulator-admin";
import { ReceiverError } from "../push/receivers/errors";
import {
  receiverSettingStatus,
  type ReceiverSettingState,
  type ReceiverTarget,
} from "../push/receivers/status";

/** Where a setting is judged; `unknown` and an unreachable emulator carry the reason. */
export type PlanReceiverTarget =
  | ReceiverTarget
  | { readonly kind: "unknown"; readonly reason: string }
  | { readonly kind: "emulator"; readonly unreachable: string };

/** Reads an app of the emulator at `url` (the seam tests may replace). */
export type EmulatorAppReader = (url: string, appId: string) => Promise<EmulatorApp>;

/**
 * Looks up the target of every receiver setting among `manifests`, by construct path.
 *
 * @param env where `BRAZE_REST_ENDPOINT` is read when a manifest names no endpoint
 */
export async function receiverTargets(
  manifests: readonly Manifest[],
  env: NodeJS.ProcessEnv,
  readApp: EmulatorAppReader = readEmulatorApp,
  isEmulator: (url: string) => Promise<boolean> = (url) => undiciEmulatorAdmin.isEmulator(url),
): Promise<Map<string, PlanReceiverTarget>> {
  const targets = new Map<string, PlanReceiverTarget>();
  for (const m of manifests) {
    if (m.kind !== "android-receiver-settings") continue;
    targets.set(m.construct_path, await targetOf(m, env, readApp, isEmulator));
  }
  return targets;
}

/** The status of a setting against its target, as plain data for the summary. */
export function receiverStatusOf(
  m: ReceiverSettingsManifest,
  target: PlanReceiverTarget,
): { state: ReceiverSettingState; detail: string; requestText?: string } {
  // the very setting the handler applies
  const setting = receiverSettingOf(m);
  const options = { appName: m.app_name };

  if ("unreachable" in target) {
    return { state: "not_checkable", detail: target.unreachable };
  }
  const status = receiverSettingStatus(
    setting,
    target.kind === "unknown" ? { kind: "braze" } : target,
    options,
  );
  const detail =
    status.state === "pending_confirmation"
      ? `${status.detail} (in the stack: \`flattenConfirmation\` on this construct)`
      : status.detail;
  return {
    ...status,
    detail:
      target.kind === "unknown"
        ? `${target.reason}, so this is judged as against Braze: ${detail}`
        : detail,
  };
}

async function targetOf(
  m: ReceiverSettingsManifest,
  env: NodeJS.ProcessEnv,
  readApp: EmulatorAppReader,
  isEmulator: (url: string) => Promise<boolean>,
): Promise<PlanReceiverTarget> {
  const source = m.endpoint === undefined ? BRAZE_REST_ENDPOINT_ENV : "the stack's endpoint";
  const endpoint = m.endpoint ?? env[BRAZE_REST_ENDPOINT_ENV];
  if (endpoint === undefined || endpoint.trim() === "") {
    return {
      kind: "unknown",
      reason: `no endpoint: the stack declares none and ${BRAZE_REST_ENDPOINT_ENV} is not set`,
    };
  }
  let url: string;
  try {
    url = resolveEndpoint(endpoint, source);
  } catch (err) {
    return { kind: "unknown", reason: (err as Error).message };
  }
  // real Braze is never on loopback; there is nothing to read there. A loopback server that is
  // not the emulator is judged as Braze too, as the handlers judge it when they apply
  if (!isLoopbackHost(new URL(url).hostname)) return { kind: "braze" };
  if (!(await isEmulator(url))) return { kind: "braze" };

  try {
    const app = await readApp(url, m.app_id);
    return { kind: "emulator", appFlatten: app.flatten };
  } catch (err) {
    if (!(err instanceof ReceiverError)) throw err;
    return {
      kind: "emulator",
      unreachable:
        `not checkable now: ${err.message}; ${source} is the emulator, and apply switches the ` +
        "app's flattening through its admin API",
    };
  }
}
