/**
 * The plan summary: what an apply will do to Braze, resource by resource, in words a reviewer
 * can read in a pull request. Built from `terraform show -json <plan>` (Terraform's "JSON
 * Output Format": `resource_changes[].change.actions/before/after`, `action_reason`).
 */
import { manifestSchema, type Manifest } from "../manifest/manifest";

/** One resource's planned change. */
export interface PlannedChange {
  readonly address: string;
  readonly constructPath: string;
  readonly kind: Manifest["kind"];
  readonly action: "create" | "replace" | "destroy" | "update" | "retry";
  /** Tokens the handler will send (batches being created or replaced). */
  readonly tokensToSend: number;
  readonly text: string;
}

/** The whole plan in the summary's terms. */
export interface PlanSummary {
  readonly changes: readonly PlannedChange[];
  readonly unchanged: number;
  readonly tokensToSend: number;
}

interface ResourceChange {
  address: string;
  action_reason?: string;
  change: { actions: string[]; before: unknown; after: unknown };
}

/** Summarises `terraform show -json` output. */
export function summarisePlan(planJson: string): PlanSummary {
  const plan = JSON.parse(planJson) as { resource_changes?: ResourceChange[] };
  const changes: PlannedChange[] = [];
  let unchanged = 0;
  for (const rc of plan.resource_changes ?? []) {
    const before = manifestOf(rc.change.before);
    const after = manifestOf(rc.change.after);
    const manifest = after ?? before;
    if (manifest === undefined) continue;
    const action = actionOf(rc);
    if (action === undefined) {
      unchanged++;
      continue;
    }
    changes.push(describe(rc.address, action, before, after ?? before!));
  }
  return {
    changes,
    unchanged,
    tokensToSend: changes.reduce((n, c) => n + c.tokensToSend, 0),
  };
}

/** The summary as lines of text. */
export function formatPlanSummary(stack: string, summary: PlanSummary): string[] {
  const lines = [`plan for stack ${stack}:`];
  if (summary.changes.length === 0) lines.push("  no changes: Braze is as declared");
  const marks = { create: "+", replace: "±", destroy: "-", update: "~", retry: "↻" };
  for (const c of summary.changes) lines.push(`  ${marks[c.action]} ${c.text}`);
  lines.push(
    `${summary.changes.length} to change, ${summary.unchanged} unchanged; ` +
      `tokens to send: ${summary.tokensToSend}`,
  );
  return lines;
}

function manifestOf(value: unknown): Manifest | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as { input?: unknown; triggers?: { manifest?: unknown } };
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

function describe(
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
      const flatten = !after.flatten
        ? "no flattening"
        : after.flatten_confirmation !== undefined
          ? `flattening confirmed (${after.flatten_confirmation})`
          : "flattening: pending Braze's confirmation against Braze, switched on in the emulator";
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
  after: Extract<Manifest, { kind: "token-import-batch" }>,
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
