/**
 * Manifests: what a synthesised resource tells its handler. A manifest is plain data, the
 * `input` of a `terraform_data` resource (or a trigger of a `null_resource`), so it is shown in
 * plans and kept in the state. It therefore never holds a push token or the API key: only the
 * NAME of the environment variable that holds the key.
 */
import { z } from "zod";

/** Bumped when a manifest changes shape; a handler refuses versions it does not know. */
export const MANIFEST_VERSION = 1;

/** Platforms a Braze app can have; only ios and android take imported tokens. */
export type AppPlatform = "ios" | "android" | "web";

const common = {
  version: z.literal(MANIFEST_VERSION),
  /** The construct path, e.g. `acme/ios-known-users`: how every message names the resource. */
  construct_path: z.string().min(1),
  /** The REST endpoint (URL or instance name); absent: `BRAZE_REST_ENDPOINT` at apply time. */
  endpoint: z.string().min(1).optional(),
  /** Name of the environment variable holding the REST API key. */
  api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
};

const appManifest = z.object({
  kind: z.literal("app"),
  ...common,
  app_id: z.string().min(1),
  name: z.string().min(1),
  platform: z.enum(["ios", "android", "web"]),
});

const receiverSettingsManifest = z.object({
  kind: z.literal("android-receiver-settings"),
  ...common,
  app_id: z.string().min(1),
  app_path: z.string().min(1),
  app_name: z.string().min(1),
  /** The old provider's receiver preset (`src/push/receivers/presets.ts`). */
  receiver: z.enum(["onesignal", "airship", "custom"]),
  key_value_pairs: z.record(z.string(), z.string()),
  flatten: z.boolean(),
  /** The reference of Braze's confirmation that flattening is on, e.g. a support ticket. */
  flatten_confirmation: z.string().min(1).optional(),
});

const counts = z.object({
  rows_read: z.number().int().nonnegative(),
  valid: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  warnings: z.number().int().nonnegative(),
});

const batchManifest = z.object({
  kind: z.literal("token-import-batch"),
  ...common,
  app_id: z.string().min(1),
  app_path: z.string().min(1),
  app_name: z.string().min(1),
  platform: z.enum(["ios", "android"]),
  mode: z.enum(["identified", "anonymous"]),
  /** The token file as declared (relative to the project), for messages. */
  source: z.string().min(1),
  /** The copy of the token file, relative to the synthesised stack directory. */
  file: z.string().min(1),
  /** `sha256:` digest of the valid rows (see `src/tokens/digest.ts`). */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  preset: z.enum(["plain", "onesignal", "airship"]),
  format: z.enum(["csv", "ndjson", "json"]),
  /** Braze field -> column, as given to the token source (`""`: not read). */
  columns: z.record(z.string(), z.string()),
  /** Custom attribute name -> column. */
  attributes: z.record(z.string(), z.string()),
  accept_installation_ids: z.boolean(),
  counts,
});

/** A manifest of any kind, as the handler parses it. */
export const manifestSchema = z.discriminatedUnion("kind", [
  appManifest,
  receiverSettingsManifest,
  batchManifest,
]);

export type AppManifest = z.infer<typeof appManifest>;
export type ReceiverSettingsManifest = z.infer<typeof receiverSettingsManifest>;
export type BatchManifest = z.infer<typeof batchManifest>;
export type BatchCounts = z.infer<typeof counts>;
export type Manifest = z.infer<typeof manifestSchema>;

/** What the handler knows of a manifest it could not parse. */
export class ManifestError extends Error {
  /** Stable code to branch on. */
  readonly code = "MANIFEST_INVALID";

  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

/**
 * Parses the manifest a provisioner passed. The message names the field and says that the
 * synthesised Terraform JSON and the handler must come from the same version.
 */
export function parseManifest(json: string | undefined, source: string): Manifest {
  if (json === undefined || json.trim() === "") {
    throw new ManifestError(
      `${source} is not set: the handler runs from a Terraform provisioner, which passes the ` +
        "resource's manifest; run it through `braze-push-migrate apply`, not by hand",
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new ManifestError(`${source} is not JSON (${(err as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    throw new ManifestError(
      `the manifest in ${source} is not one this version understands: ${where}: ` +
        `${issue.message}; synthesise again with the installed braze-push-migrate`,
    );
  }
  return parsed.data;
}

/**
 * Escapes Terraform template sequences (`${`, `%{`) in every string and key of a value, so a
 * column or attribute name that happens to contain one reaches the handler literally (Terraform
 * JSON syntax evaluates strings as templates: "JSON Configuration Syntax", Terraform docs).
 */
export function escapeTemplates<T>(value: T): T {
  if (typeof value === "string") {
    return value.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{") as T;
  }
  if (Array.isArray(value)) return value.map(escapeTemplates) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [escapeTemplates(k), escapeTemplates(v)]),
    ) as T;
  }
  return value;
}

/**
 * What Terraform makes of a string `escapeTemplates` wrote: `$${` reads as `${` and `%%{` as
 * `%{`. For code that reads a manifest straight from the synthesised Terraform JSON, where the
 * handler gets it through Terraform (`jsonencode(self.input)`), already unescaped.
 */
export function unescapeTemplates<T>(value: T): T {
  if (typeof value === "string") {
    return value.replace(/\$\$\{/g, () => "${").replace(/%%\{/g, () => "%{") as T;
  }
  if (Array.isArray(value)) return value.map(unescapeTemplates) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [unescapeTemplates(k), unescapeTemplates(v)]),
    ) as T;
  }
  return value;
}

/**
 * The manifest a resource carries, from its values in Terraform's JSON output (a plan's
 * `before`/`after`, or the state's `values`): `input` of a `terraform_data`, the `manifest`
 * trigger (JSON text) of a `null_resource`. `undefined` for any other resource.
 */
export function manifestFromResource(values: unknown): Manifest | undefined {
  if (values === null || typeof values !== "object") return undefined;
  const v = values as { input?: unknown; triggers?: { manifest?: unknown } };
  let candidate: unknown = v.input;
  if (typeof v.triggers?.manifest === "string") {
    try {
      candidate = JSON.parse(v.triggers.manifest);
    } catch {
      return undefined;
    }
  }
  const parsed = manifestSchema.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}
