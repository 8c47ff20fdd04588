import { isIP } from "node:net";
import { BrazeConfigError } from "./errors";

/** Environment variable naming the REST endpoint: a URL or an instance name such as `US-03`. */
export const BRAZE_REST_ENDPOINT_ENV = "BRAZE_REST_ENDPOINT";

/** Environment variable holding the workspace's REST API key. */
export const BRAZE_API_KEY_ENV = "BRAZE_API_KEY";

/**
 * REST hosts by instance name, as the dashboard names instances.
 *
 * Source: _includes/data_centers.md of braze-inc/braze-docs. `ID-01` comes from an older page
 * only; the others are documented now. SDK hosts (`sdk.*`) do not serve the REST API.
 */
export const BRAZE_INSTANCES: Readonly<Record<string, string>> = {
  "US-01": "https://rest.iad-01.braze.com",
  "US-02": "https://rest.iad-02.braze.com",
  "US-03": "https://rest.iad-03.braze.com",
  "US-04": "https://rest.iad-04.braze.com",
  "US-05": "https://rest.iad-05.braze.com",
  "US-06": "https://rest.iad-06.braze.com",
  "US-07": "https://rest.iad-07.braze.com",
  "US-08": "https://rest.iad-08.braze.com",
  "US-10": "https://rest.us-10.braze.com",
  "EU-01": "https://rest.fra-01.braze.eu",
  "EU-02": "https://rest.fra-02.braze.eu",
  "AU-01": "https://rest.au-01.braze.com",
  "ID-01": "https://rest.id-01.braze.com",
};

const INSTANCE_NAME = /^[a-z]{2}-\d{2}$/i;

/**
 * Resolves the REST endpoint from a URL or an instance name (`US-03`, `eu-01`, ...).
 *
 * A URL must be https, or http to a loopback host (127.0.0.0/8, ::1, localhost) such as the
 * emulator: the API key travels in a header and must not cross a network in clear text. It may
 * carry a path prefix (a proxy), never credentials, a query or a fragment.
 *
 * @param value the setting, e.g. the value of `BRAZE_REST_ENDPOINT`
 * @param source what to call the setting in error messages
 * @returns the base URL without a trailing slash
 * @throws BrazeConfigError naming the bad value, the rule and the fix
 */
export function resolveEndpoint(value: string, source = BRAZE_REST_ENDPOINT_ENV): string {
  const text = value.trim();
  if (text === "") {
    throw new BrazeConfigError(
      `${source} is empty: set it to your workspace's REST endpoint URL or instance name ` +
        `(${Object.keys(BRAZE_INSTANCES).join(", ")})`,
    );
  }

  if (INSTANCE_NAME.test(text)) {
    const host = BRAZE_INSTANCES[text.toUpperCase()];
    if (host === undefined) {
      throw new BrazeConfigError(
        `${source} names an unknown Braze instance "${text}": use one of ` +
          `${Object.keys(BRAZE_INSTANCES).join(", ")}, or the REST endpoint URL shown in ` +
          "the dashboard under Settings > APIs and Identifiers",
      );
    }
    return host;
  }

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BrazeConfigError(
      `${source} is neither a URL nor an instance name: "${text}"; use e.g. ` +
        `"https://rest.iad-03.braze.com" or "US-03"`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    // the value itself may hold a secret: name the rule, not the value
    throw new BrazeConfigError(
      `${source} must not carry credentials in the URL; the API key goes in ${BRAZE_API_KEY_ENV}`,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new BrazeConfigError(
      `${source} must not have a query or fragment: "${text}"; use the bare REST endpoint URL`,
    );
  }
  checkTransportSecurity(url, source);
  if (/^sdk[.-]/i.test(url.hostname)) {
    throw new BrazeConfigError(
      `${source} names an SDK host "${url.hostname}", which does not serve the REST API; use ` +
        `the REST host (e.g. "rest.iad-03.braze.com") or the instance name`,
    );
  }
  return url.toString().replace(/\/+$/, "");
}

/**
 * Refuses plain http except to a loopback host.
 *
 * @throws BrazeConfigError when the URL is neither https nor http to loopback
 */
export function checkTransportSecurity(url: URL, source: string): void {
  if (url.protocol === "https:") return;
  if (url.protocol !== "http:") {
    throw new BrazeConfigError(
      `${source} must be an https URL, got protocol "${url.protocol}" in "${url.origin}"`,
    );
  }
  if (!isLoopbackHost(url.hostname)) {
    throw new BrazeConfigError(
      `${source} uses plain http to "${url.hostname}", which is not a loopback address: the ` +
        "API key and the push tokens would cross the network unencrypted; use https (plain " +
        "http is allowed only to 127.0.0.0/8, ::1 and localhost, e.g. the local emulator)",
    );
  }
}

/** Whether a URL hostname is a loopback address: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) {
    if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
    // an IPv4-mapped loopback address, e.g. ::ffff:127.0.0.1 (URL writes it as ::ffff:7f00:1)
    return /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(host);
  }
  return false;
}

/** The endpoint and key as read from the environment. */
export interface BrazeEnvConfig {
  /** The resolved REST endpoint base URL. */
  readonly endpoint: string;
  /** The REST API key. Secret: never print it. */
  readonly apiKey: string;
}

/**
 * Reads `BRAZE_REST_ENDPOINT` and `BRAZE_API_KEY`.
 *
 * @param env the environment to read; `process.env` when not given
 * @throws BrazeConfigError when either is missing or the endpoint is invalid
 */
export function brazeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BrazeEnvConfig {
  const endpoint = env[BRAZE_REST_ENDPOINT_ENV];
  if (endpoint === undefined || endpoint.trim() === "") {
    throw new BrazeConfigError(
      `${BRAZE_REST_ENDPOINT_ENV} is not set: set it to your workspace's REST endpoint URL ` +
        `(dashboard: Settings > APIs and Identifiers) or its instance name, e.g. US-03 or EU-01`,
    );
  }
  const apiKey = env[BRAZE_API_KEY_ENV];
  if (apiKey === undefined || apiKey.trim() === "") {
    throw new BrazeConfigError(
      `${BRAZE_API_KEY_ENV} is not set: set it to a REST API key of the workspace with the ` +
        "permissions the command needs (users.track for imports)",
    );
  }
  return { endpoint: resolveEndpoint(endpoint), apiKey: apiKey.trim() };
}
