/**
 * The manifests of a synthesised stack, read from its Terraform JSON (`cdk.tf.json`) without
 * Terraform: what each resource will hand its handler. Commands that look at a declaration
 * without applying it (the Android preview, a test send) find it here, as plan and apply find
 * the stack. No cdktf: the file is plain JSON.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ManifestError,
  parseManifest,
  unescapeTemplates,
  type Manifest,
  type ReceiverSettingsManifest,
} from "../manifest/manifest";
import type { SynthesisedStack } from "./synth";
import { WorkflowError } from "./workflow-error";

/** The Terraform JSON file cdktf writes in each stack directory. */
export const STACK_JSON = "cdk.tf.json";

/** One resource of a stack with the manifest its handler gets. */
export interface StackManifest {
  /** The Terraform address, e.g. `terraform_data.legacy-receiver`. */
  readonly address: string;
  readonly manifest: Manifest;
}

interface StackJson {
  resource?: {
    terraform_data?: Record<string, { input?: unknown }>;
    null_resource?: Record<string, { triggers?: { manifest?: unknown } }>;
  };
}

/**
 * Every manifest of a synthesised stack, parsed with the manifest schema. Resources that carry
 * no manifest (a team's own `terraform_data` without a `kind`) are left out.
 *
 * @throws WorkflowError `STACK_JSON_INVALID` when the file is missing, is not JSON, or holds a
 *   manifest this version does not understand
 */
export function readStackManifests(stack: SynthesisedStack): StackManifest[] {
  const file = join(stack.dir, STACK_JSON);
  if (!existsSync(file)) {
    throw new WorkflowError(
      "STACK_JSON_INVALID",
      `stack "${stack.name}" has no ${STACK_JSON} in its synthesised folder: synthesise again ` +
        "(drop --skip-synth)",
    );
  }
  let json: StackJson;
  try {
    json = JSON.parse(readFileSync(file, "utf8")) as StackJson;
  } catch (err) {
    throw new WorkflowError(
      "STACK_JSON_INVALID",
      `the ${STACK_JSON} of stack "${stack.name}" is not JSON (${(err as Error).message}): ` +
        "synthesise again",
    );
  }

  // terraform would unescape the template sequences synth escaped; do the same here
  const found: Array<{ address: string; value: unknown }> = [];
  for (const [name, resource] of Object.entries(json.resource?.terraform_data ?? {})) {
    const input = resource.input as { kind?: unknown } | undefined;
    if (typeof input?.kind !== "string") continue;
    found.push({ address: `terraform_data.${name}`, value: unescapeTemplates(input) });
  }
  for (const [name, resource] of Object.entries(json.resource?.null_resource ?? {})) {
    const text = resource.triggers?.manifest;
    if (typeof text !== "string") continue;
    found.push({ address: `null_resource.${name}`, value: unescapeTemplates(text) });
  }

  return found.map(({ address, value }) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    try {
      return { address, manifest: parseManifest(text, `${address} of stack "${stack.name}"`) };
    } catch (err) {
      if (err instanceof ManifestError) throw new WorkflowError("STACK_JSON_INVALID", err.message);
      throw err;
    }
  });
}

/**
 * The receiver settings a stack declares, picked by construct id (`legacy-receiver`) or path
 * (`acme/legacy-receiver`, or below the stack: `android/legacy-receiver`).
 *
 * @throws WorkflowError `RESOURCE_UNKNOWN` naming the receiver settings the stack has, when
 *   none matches or an id matches several
 */
export function pickReceiverSettings(
  stack: SynthesisedStack,
  manifests: readonly StackManifest[],
  name: string,
): ReceiverSettingsManifest {
  const receivers = manifests
    .map((m) => m.manifest)
    .filter((m): m is ReceiverSettingsManifest => m.kind === "android-receiver-settings");
  const paths = receivers.map((r) => r.construct_path);
  const known =
    paths.length === 0
      ? "it declares none: add an AndroidReceiverSettings to the stack"
      : `receiver settings: ${paths.join(", ")}`;

  const wanted = name.replace(/^\/+|\/+$/g, "");
  const exact = receivers.filter(
    (r) => r.construct_path === wanted || r.construct_path === `${stack.name}/${wanted}`,
  );
  const matches =
    exact.length > 0 ? exact : receivers.filter((r) => r.construct_path.endsWith(`/${wanted}`));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    throw new WorkflowError(
      "RESOURCE_UNKNOWN",
      `stack "${stack.name}" has no receiver settings "${name}" (${known}); pass one of them ` +
        "to --receiver",
    );
  }
  throw new WorkflowError(
    "RESOURCE_UNKNOWN",
    `--receiver "${name}" matches ${matches.length} receiver settings of stack ` +
      `"${stack.name}" (${matches.map((r) => r.construct_path).join(", ")}): give the whole path`,
  );
}
