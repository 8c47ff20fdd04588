/**
 * What a handler needs from the world: its environment, a way to print, and the one seam of
 * its outbound I/O (the Braze client and the emulator's admin API), which tests may replace.
 */
import { Agent, request, type Dispatcher } from "undici";
import { BrazeClient } from "../client/braze-client";
import { BRAZE_REST_ENDPOINT_ENV, isLoopbackHost, resolveEndpoint } from "../client/endpoint";
import { isBrazeError } from "../client/errors";
import { HANDLER_ENV, OPERATOR_ENV } from "../manifest/constants";
import type { Manifest } from "../manifest/manifest";
import { HandlerError } from "./handler-error";

/** The emulator's admin API, as far as handlers use it. */
export interface EmulatorAdmin {
  /** True when `endpoint` is a loopback URL answering the emulator's admin API. */
  isEmulator(endpoint: string): Promise<boolean>;
}

/** Everything a handler touches outside itself. */
export interface HandlerContext {
  readonly env: NodeJS.ProcessEnv;
  /** The working directory: the synthesised stack directory Terraform runs in. */
  readonly cwd: string;
  /** Prints one line for the operator (Terraform shows it under the resource). */
  readonly log: (line: string) => void;
  /** Makes the Braze client for a manifest's endpoint and key. */
  readonly client: (manifest: Manifest) => BrazeClient;
  readonly emulator: EmulatorAdmin;
}

/** The endpoint a manifest addresses: its own, or `BRAZE_REST_ENDPOINT`. */
export function endpointOf(manifest: Manifest, env: NodeJS.ProcessEnv): string {
  const endpoint = manifest.endpoint ?? env[BRAZE_REST_ENDPOINT_ENV];
  if (endpoint === undefined || endpoint.trim() === "") {
    throw new HandlerError(
      "HANDLER_CONFIG",
      manifest.construct_path,
      `no Braze endpoint: the stack declares none and ${BRAZE_REST_ENDPOINT_ENV} is not set; ` +
        "set it to the workspace's REST endpoint (e.g. US-03) or declare `endpoint` on the stack",
    );
  }
  return endpoint;
}

/** The context of a handler run from a Terraform provisioner. */
export function processContext(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): HandlerContext {
  return {
    env,
    cwd: process.cwd(),
    log,
    client: (manifest) => makeClient(manifest, env),
    emulator: undiciEmulatorAdmin,
  };
}

function makeClient(manifest: Manifest, env: NodeJS.ProcessEnv): BrazeClient {
  const apiKey = env[manifest.api_key_env];
  if (apiKey === undefined || apiKey.trim() === "") {
    throw new HandlerError(
      "HANDLER_CONFIG",
      manifest.construct_path,
      `${manifest.api_key_env} is not set: export a REST API key of the workspace in it before ` +
        "running terraform (the key is read from the environment, never from the stack)",
    );
  }
  const rateShare = numberSetting(env, HANDLER_ENV.rateShare, 1, manifest.construct_path);
  const concurrency = numberSetting(env, OPERATOR_ENV.concurrency, 64, manifest.construct_path);
  try {
    return new BrazeClient({
      endpoint: endpointOf(manifest, env),
      apiKey,
      rateShare: Math.min(1, rateShare),
      concurrency: Math.max(1, Math.round(concurrency)),
    });
  } catch (err) {
    if (isBrazeError(err, "BRAZE_CONFIG")) {
      throw new HandlerError("HANDLER_CONFIG", manifest.construct_path, err.message);
    }
    throw err;
  }
}

function numberSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  path: string,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!(value > 0)) {
    throw new HandlerError(
      "HANDLER_CONFIG",
      path,
      `${name} must be a positive number, got "${raw}"`,
    );
  }
  return value;
}

/**
 * The emulator check over HTTP: a loopback endpoint (real Braze never is one) whose admin API
 * lists apps. The handlers and the CLI's test send decide "emulator or Braze" by it.
 */
export const undiciEmulatorAdmin: EmulatorAdmin = {
  async isEmulator(endpoint) {
    const url = new URL(resolveEndpoint(endpoint));
    // the admin API answers loopback clients only, and real Braze is never on loopback
    if (!isLoopbackHost(url.hostname)) return false;
    try {
      return await withAgent(async (dispatcher) => {
        const res = await request(new URL("/_emulator/apps", url), { method: "GET", dispatcher });
        const body = await res.body.text();
        const apps = (JSON.parse(body) as { apps?: unknown }).apps;
        return res.statusCode === 200 && Array.isArray(apps);
      });
    } catch {
      return false;
    }
  },
};

// an agent of its own, closed at once: a kept-alive socket would hold the handler process
// (and so Terraform) open for the agent's idle timeout
async function withAgent<T>(body: (dispatcher: Dispatcher) => Promise<T>): Promise<T> {
  const agent = new Agent();
  try {
    return await body(agent);
  } finally {
    await agent.close();
  }
}
