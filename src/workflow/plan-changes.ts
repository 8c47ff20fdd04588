/**
 * The resources of a plan and their changes in Terraform's terms: which manifest each
 * `resource_changes` entry of `terraform show -json` carries before and after, what Terraform
 * will do with it, and one line of text per change saying what that does in Braze.
 */
import { manifestFromResource, type BatchManifest, type Manifest } from "../manifest/manifest";

/** One resource's planned change, in Terraform's terms. */
export interface PlannedChange {
  readonly address: string;
  readonly constructPath: string;
  readonly kind: Manifest["kind"];
  readonly action: "create" | "replace" | "destroy" | "update" | "retry";
  /** Tokens the handler will send (batches being created or replaced). */
  readonly tokensToSend: number;
  readonly text: string;
}

interface ResourceChange {
  address: string;
  action_reason?: string;
  change: { actions: string[]; before: unknown; after: unknown };
}

/** A resource of the plan with its manifests; `action` undefined: unchanged. */
export interface Planned {
  readonly address: string;
  readonly action: PlannedChange["action"] | undefined;
  readonly before: Manifest | undefined;
  readonly after: Manifest | undefined;
}

/** The resources of a plan that carry a manifest, in the plan's order. */
export function planned(planJson: string): Planned[] {
  const plan = JSON.parse(planJson) as { resource_changes?: ResourceChange[] };
  const out: Planned[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const before = manifestFromResource(rc.change.before);
    const after = manifestFromResource(rc.change.after);
    if (before === undefined && after === undefined) continue;
    out.push({ address: rc.address, action: actionOf(rc), before, after });
  }
  return out;
}

function actionOf(rc: ResourceChange): PlannedChange["action"] | undefined {
  const a = rc.change.actions.join(",");
  if (a === "create") return "create";
  if (a === "delete") return "destroy";
  if (a === "update") return "update";
  if (a === "delete,create" || a === "create,delete") {
    return rc.action_reason === "replace_because_tainted" ? "retry" : "replace";
  }
  return undefined;
}

/** One line of text for a planned change. */
export function describeChange(
  address: string,
  action: PlannedChange["action"],
  before: Manifest | undefined,
  after: Manifest,
): PlannedChange {
  const base = { address, constructPath: after.construct_path, kind: after.kind, action };
  const path = after.construct_path;
  switch (after.kind) {
    case "app": {
      const text =
        action === "destroy"
          ? `app ${path}: leaves the stack; the app stays in Braze`
          : `app ${path}: check app_id ${after.app_id} ("${after.name}", ${after.platform})`;
      return { ...base, tokensToSend: 0, text };
    }
    case "android-receiver-settings": {
      // where the setting stands (pending, applied) is the summary's receiverSettings
      const flatten = !after.flatten
        ? "no flattening"
        : after.flatten_confirmation !== undefined
          ? `flattening on, confirmed (${after.flatten_confirmation})`
          : "flattening on";
      const text =
        action === "destroy"
          ? `receiver settings ${path}: leave the stack; Braze's settings stay as they are`
          : `receiver settings ${path}: ${Object.keys(after.key_value_pairs).length} pairs for ` +
            `app ${after.app_path}, ${flatten}`;
      return { ...base, tokensToSend: 0, text };
    }
    case "token-import-batch":
      return describeBatch(base, action, before, after);
  }
}

function describeBatch(
  base: Omit<PlannedChange, "tokensToSend" | "text">,
  action: PlannedChange["action"],
  before: Manifest | undefined,
  after: BatchManifest,
): PlannedChange {
  const path = after.construct_path;
  const valid = after.counts.valid;
  const resend =
    after.mode === "anonymous"
      ? "anonymous: Braze ignores tokens it already has"
      : "identified: each row sets its user's token and attributes again";
  const digest = (d: string) => `${d.slice(0, 15)}…`;
  switch (action) {
    case "create":
      return {
        ...base,
        tokensToSend: valid,
        text:
          `batch ${path}: import ${valid} tokens of ${after.source} into ${after.app_path} ` +
          `(${after.mode}, ${digest(after.digest)})`,
      };
    case "retry":
      return {
        ...base,
        tokensToSend: valid,
        text:
          `batch ${path}: retry of a failed import of ${after.source}: up to ${valid} tokens; ` +
          "rows its ledger shows confirmed are skipped when the ledger is on this machine " +
          `(${resend})`,
      };
    case "replace": {
      const old = before?.kind === "token-import-batch" ? before : undefined;
      const why =
        old === undefined
          ? "declaration changed"
          : old.digest !== after.digest
            ? `file changed (${digest(old.digest)} → ${digest(after.digest)}, ` +
              `${old.counts.valid} → ${valid} valid rows)`
            : old.app_id !== after.app_id
              ? `app_id changed (${old.app_id} → ${after.app_id})`
              : old.mode !== after.mode
                ? `mode changed (${old.mode} → ${after.mode})`
                : "declaration changed";
      return {
        ...base,
        tokensToSend: valid,
        text:
          `batch ${path}: replace, ${why}: all ${valid} valid rows of ${after.source} will be ` +
          `sent again (${resend}); the old batch's tokens stay in Braze`,
      };
    }
    case "destroy":
      return {
        ...base,
        tokensToSend: 0,
        text: `batch ${path}: leaves the stack; its ${valid} tokens stay in Braze (retained)`,
      };
    case "update":
      return {
        ...base,
        tokensToSend: 0,
        text: `batch ${path}: manifest updated in place (same content); nothing is sent`,
      };
  }
}
