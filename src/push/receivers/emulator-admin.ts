/**
 * The receiver tools' use of the emulator's admin API over HTTP: read and switch an app's
 * flattening (what Braze staff do on request) and read the rendered pushes of a send. Tokens
 * leave this module only as their last 6 characters.
 */
import { request } from "undici";
import { lastSix } from "../../tokens/errors";
import { ReceiverError } from "./errors";
import type { ResolvedReceiverSetting } from "./resolve";
import {
  receiverSettingStatus,
  type ReceiverSettingStatus,
  type RequestTextOptions,
} from "./status";

/** An app as the emulator holds it. */
export interface EmulatorApp {
  readonly appId: string;
  readonly name: string;
  readonly platform: string;
  readonly flatten: boolean;
}

/** One rendered push of the emulator's outbox, its token cut to the last 6 characters. */
export interface OutboxDelivery {
  readonly dispatchId: string;
  readonly externalId: string | null;
  readonly appId: string;
  readonly platform: string;
  /** `…` and the token's last 6 characters. */
  readonly token: string;
  /** What the device receives: the FCM data map for Android. */
  readonly payload: unknown;
}

/** Where a setting is applied or checked: an emulator by URL, or real Braze. */
export type ReceiverApplyTarget =
  { readonly kind: "emulator"; readonly url: string } | { readonly kind: "braze" };

const TIMEOUT_MS = 10_000;

/**
 * The emulator's Android app by app_id.
 *
 * @throws ReceiverError `EMULATOR_ADMIN` when the emulator cannot be reached, has no such app
 *   or the app is not Android
 */
export async function readEmulatorApp(url: string, appId: string): Promise<EmulatorApp> {
  const body = (await adminCall(url, "GET", "/apps")) as { apps?: EmulatorApp[] };
  const app = (body.apps ?? []).find((candidate) => candidate.appId === appId);
  if (app === undefined) {
    throw new ReceiverError(
      "EMULATOR_ADMIN",
      `the emulator at ${url} has no app with app_id ${appId}: add it to the emulator's config ` +
        `or through POST /_emulator/apps`,
    );
  }
  return androidOnly(app);
}

/**
 * Gives an emulator's app the name a stack declares for it, as the Braze dashboard shows it:
 * Braze's exports name a token's app by that name, so a rehearsal's drift check needs the two
 * to agree. An app the emulator does not have is left alone (the app check reports it).
 *
 * @returns the emulator's name for the app before, when it was another one
 * @throws ReceiverError `EMULATOR_ADMIN` when the emulator refuses or cannot be reached
 */
export async function nameEmulatorApp(
  url: string,
  appId: string,
  name: string,
): Promise<string | undefined> {
  const body = (await adminCall(url, "GET", "/apps")) as { apps?: EmulatorApp[] };
  const app = (body.apps ?? []).find((candidate) => candidate.appId === appId);
  if (app === undefined || app.name === name) return undefined;
  await adminCall(url, "POST", "/apps", {
    appId,
    name,
    platform: app.platform,
    flatten: app.flatten,
  });
  return app.name;
}

/**
 * Switches the flattening of an emulator's Android app, as Braze staff do on request.
 *
 * @throws ReceiverError `EMULATOR_ADMIN` when the emulator refuses or cannot be reached
 */
export async function setEmulatorFlatten(
  url: string,
  appId: string,
  flatten: boolean,
): Promise<EmulatorApp> {
  const path = `/apps/${encodeURIComponent(appId)}/flatten`;
  return androidOnly((await adminCall(url, "POST", path, { flatten })) as EmulatorApp);
}

/**
 * Every rendered push of one dispatch, oldest first, tokens cut to their last 6 characters.
 *
 * @throws ReceiverError `EMULATOR_ADMIN` when the emulator refuses or cannot be reached
 */
export async function readEmulatorOutbox(
  url: string,
  dispatchId: string,
): Promise<OutboxDelivery[]> {
  const query = `?dispatch_id=${encodeURIComponent(dispatchId)}`;
  const body = (await adminCall(url, "GET", `/outbox${query}`)) as {
    messages: Array<Record<string, unknown>>;
  };
  return body.messages.map((row) => ({
    dispatchId: String(row.dispatch_id),
    externalId: typeof row.external_id === "string" ? row.external_id : null,
    appId: String(row.app_id),
    platform: String(row.platform),
    token: lastSix(String(row.token)),
    payload: row.payload,
  }));
}

/**
 * Reads where a setting stands: on the emulator, its app's flattening now; on real Braze,
 * from the declaration alone (nothing there can be read).
 */
export async function checkReceiverSetting(
  setting: ResolvedReceiverSetting,
  target: ReceiverApplyTarget,
  options: RequestTextOptions = {},
): Promise<ReceiverSettingStatus> {
  if (target.kind === "braze") return receiverSettingStatus(setting, target, options);
  const app = await readEmulatorApp(target.url, setting.appId);
  return receiverSettingStatus(setting, { kind: "emulator", appFlatten: app.flatten }, options);
}

/**
 * Applies a setting: on the emulator, switches its app's flattening to the declared value and
 * reads it back; on real Braze nothing can be switched, so the status says what to ask Braze
 * (`pending_confirmation`) or that it cannot be checked.
 */
export async function applyReceiverSetting(
  setting: ResolvedReceiverSetting,
  target: ReceiverApplyTarget,
  options: RequestTextOptions = {},
): Promise<ReceiverSettingStatus> {
  if (target.kind === "braze") return receiverSettingStatus(setting, target, options);
  await readEmulatorApp(target.url, setting.appId);
  await setEmulatorFlatten(target.url, setting.appId, setting.flatten);
  return checkReceiverSetting(setting, target, options);
}

function androidOnly(app: EmulatorApp): EmulatorApp {
  if (app.platform !== "android") {
    throw new ReceiverError(
      "EMULATOR_ADMIN",
      `app ${app.appId} ("${app.name}") is ${app.platform}: receiver settings and flattening ` +
        `are for Android apps only`,
    );
  }
  return app;
}

async function adminCall(
  baseUrl: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(`/_emulator${path}`, baseUrl);
  } catch {
    throw new ReceiverError(
      "EMULATOR_ADMIN",
      `the emulator URL "${baseUrl}" is not a URL: give it as http://127.0.0.1:<port>`,
    );
  }

  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    throw new ReceiverError(
      "EMULATOR_ADMIN",
      `cannot reach the emulator's admin API at ${url.origin}: ${(err as Error).message}; ` +
        `start it with braze-push-migrate emulator and pass its URL`,
    );
  }

  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (status < 200 || status >= 300) {
    const said = (parsed as { message?: unknown } | undefined)?.message;
    throw new ReceiverError(
      "EMULATOR_ADMIN",
      `the emulator refused ${method} /_emulator${path.split("?")[0]}: ${status}` +
        `${typeof said === "string" ? ` ${said}` : ""}`,
    );
  }
  if (parsed === undefined) {
    throw new ReceiverError(
      "EMULATOR_ADMIN",
      `the emulator answered ${method} /_emulator${path.split("?")[0]} with no JSON body: ` +
        `is ${url.origin} a braze-push-migrate emulator?`,
    );
  }
  return parsed;
}
