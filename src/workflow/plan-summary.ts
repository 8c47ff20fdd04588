/**
 * The plan summary: what an apply will do to Braze, resource by resource and app by app, in
 * words a reviewer can read in a pull request. Built from `terraform show -json <plan>`
 * (Terraform's "JSON Output Format": `resource_changes[].change.actions/before/after`,
 * `action_reason`); every resource of the stack is listed there, unchanged ones as `no-op`.
 */
import type { BatchManifest, Manifest, ReceiverSettingsManifest } from "../manifest/manifest";
import type { ReceiverSettingState } from "../push/receivers/status";
import { describeChange, planned, type Planned, type PlannedChange } from "./plan-changes";
import { receiverStatusOf, type PlanReceiverTarget } from "./plan-receivers";

export type { PlannedChange } from "./plan-changes";

/** Bumped when the JSON shape of {@link PlanReport} changes. */
export const PLAN_REPORT_VERSION = 1;

/**
 * What happens to a declared object, in the migration's terms: `retried` is a resource a failed
 * apply left tainted, `updated` a manifest changed in place without new content.
 */
export type Change = "new" | "unchanged" | "replaced" | "removed" | "retried" | "updated";

/** Tokens by import mode. */
export interface ModeCounts {
  readonly identified: number;
  readonly anonymous: number;
  readonly total: number;
}

/** A batch in the summary. */
export interface BatchPlan {
  readonly path: string;
  readonly change: Change;
  readonly mode: BatchManifest["mode"];
  /** The token file as declared. */
  readonly source: string;
  readonly digest: string;
  /** For a replacement whose file changed: the digest applied before. */
  readonly previousDigest?: string;
  /** The counts synth read from the file (rejected is 0: synth refuses rejected rows). */
  readonly counts: {
    readonly rowsRead: number;
    readonly valid: number;
    readonly rejected: number;
    readonly duplicates: number;
    readonly skipped: number;
    readonly warnings: number;
  };
  readonly tokensToSend: number;
  /** For a replacement or a retry: what is sent again and what that does in Braze. */
  readonly resend?: string;
}

/** An app and its batches. */
export interface AppPlan {
  readonly path: string;
  readonly appId: string;
  readonly name: string;
  readonly platform: string;
  /** The app's own resource (an app_id check); `unchanged` when only its batches change. */
  readonly change: Change;
  readonly batches: readonly BatchPlan[];
  /** Valid rows of the batches that stay declared (removed batches left out). */
  readonly tokensDeclared: ModeCounts;
  readonly tokensToSend: ModeCounts;
}

/** A batch whose file gave warnings, collapsed duplicates or skipped rows at synth. */
export interface ValidationNote {
  readonly path: string;
  readonly source: string;
  readonly warnings: number;
  readonly duplicates: number;
  readonly skipped: number;
  readonly text: string;
}

/** An Android receiver setting and where it stands. */
export interface ReceiverSettingPlan {
  readonly path: string;
  readonly appId: string;
  readonly appPath: string;
  readonly receiver: ReceiverSettingsManifest["receiver"];
  readonly flatten: boolean;
  /** The keys of the declared pairs (their values are not secret but add nothing here). */
  readonly keys: readonly string[];
  readonly change: Change;
  /** Where the setting is judged: the emulator, real Braze, or unknown (no endpoint). */
  readonly target: PlanReceiverTarget["kind"];
  /** Absent for a setting that leaves the stack. */
  readonly state?: ReceiverSettingState;
  readonly detail?: string;
  /** For `pending_confirmation`: the request to send to Braze. */
  readonly requestText?: string;
  /** The confirmation reference the stack records. */
  readonly confirmation?: string;
}

/** Counts over a stack or a whole report. */
export interface PlanTotals {
  /** Resources with a change, and without. */
  readonly toChange: number;
  readonly unchanged: number;
  readonly batches: Readonly<Record<Change, number>>;
  readonly tokensDeclared: ModeCounts;
  readonly tokensToSend: ModeCounts;
  /** Batches with a validation note. */
  readonly validationNotes: number;
  readonly pendingConfirmations: number;
}

/** One stack's plan in the summary's terms. */
export interface PlanSummary {
  readonly stack: string;
  /** Terraform reported changes (`plan -detailed-exitcode` exited 2). */
  readonly changed: boolean;
  readonly changes: readonly PlannedChange[];
  readonly unchanged: number;
  readonly tokensToSend: number;
  readonly apps: readonly AppPlan[];
  readonly receiverSettings: readonly ReceiverSettingPlan[];
  readonly validation: readonly ValidationNote[];
  readonly totals: PlanTotals;
}

/** What `plan --json` prints: every planned stack. */
export interface PlanReport {
  readonly version: typeof PLAN_REPORT_VERSION;
  readonly changed: boolean;
  readonly stacks: readonly PlanSummary[];
  readonly totals: PlanTotals;
}

/** What the summary takes besides the plan. */
export interface SummaryOptions {
  readonly stack: string;
  /**
   * Terraform's verdict on changes.
   * @default - true when any resource of the migration changes
   */
  readonly changed?: boolean;
  /**
   * Where each receiver setting is judged, by construct path (see `receiverTargets`).
   * @default - unknown for every setting
   */
  readonly receiverTargets?: ReadonlyMap<string, PlanReceiverTarget>;
}

/** The manifests of a plan, as they will be after the apply (removed ones as they were). */
export function plannedManifests(planJson: string): Manifest[] {
  return planned(planJson).map((p) => (p.after ?? p.before)!);
}

/** Summarises `terraform show -json` output of one stack's plan. */
export function summarisePlan(planJson: string, options: SummaryOptions): PlanSummary {
  const resources = planned(planJson);
  const changes: PlannedChange[] = [];
  for (const p of resources) {
    if (p.action !== undefined) {
      changes.push(describeChange(p.address, p.action, p.before, (p.after ?? p.before)!));
    }
  }
  const apps = appPlans(resources);
  const receiverSettings = resources
    .filter((p) => (p.after ?? p.before)!.kind === "android-receiver-settings")
    .map((p) => receiverPlan(p, options.receiverTargets));
  const validation = apps.flatMap((a) => a.batches).flatMap(validationNote);
  const unchanged = resources.length - changes.length;
  const summary = {
    stack: options.stack,
    changed: options.changed ?? changes.length > 0,
    changes,
    unchanged,
    tokensToSend: changes.reduce((n, c) => n + c.tokensToSend, 0),
    apps,
    receiverSettings,
    validation,
  };
  return { ...summary, totals: stackTotals(summary) };
}

/** The report of several stacks' summaries. */
export function planReport(stacks: readonly PlanSummary[]): PlanReport {
  return {
    version: PLAN_REPORT_VERSION,
    changed: stacks.some((s) => s.changed),
    stacks,
    totals: addTotals(stacks.map((s) => s.totals)),
  };
}

/** The summary as lines of text. */
export function formatPlanSummary(summary: PlanSummary): string[] {
  const lines = [`plan for stack ${summary.stack}:`];
  if (summary.changes.length === 0) lines.push("  no changes: Braze is as declared");
  const marks = { create: "+", replace: "±", destroy: "-", update: "~", retry: "↻" };
  for (const c of summary.changes) lines.push(`  ${marks[c.action]} ${c.text}`);
  for (const note of summary.validation) lines.push(`  ! ${note.path}: ${note.text}`);
  for (const r of summary.receiverSettings) {
    if (r.state === undefined) continue;
    lines.push(`  receiver settings ${r.path}: ${r.state.replace(/_/g, " ")}: ${r.detail}`);
    if (r.requestText !== undefined) {
      lines.push("    request to send to Braze:");
      for (const line of r.requestText.trimEnd().split("\n")) lines.push(`      ${line}`);
    }
  }
  const send = summary.totals.tokensToSend;
  lines.push(
    `${summary.changes.length} to change, ${summary.unchanged} unchanged; ` +
      `tokens to send: ${summary.tokensToSend} ` +
      `(${send.identified} identified, ${send.anonymous} anonymous)`,
  );
  return lines;
}

const CHANGE_OF: Record<PlannedChange["action"], Change> = {
  create: "new",
  replace: "replaced",
  destroy: "removed",
  update: "updated",
  retry: "retried",
};

function changeOf(p: Planned): Change {
  return p.action === undefined ? "unchanged" : CHANGE_OF[p.action];
}

/** Apps in the plan's order (by address), each with its batches; an app known only from them too. */
function appPlans(resources: readonly Planned[]): AppPlan[] {
  const apps = new Map<
    string,
    { app: Omit<AppPlan, "batches" | "tokensDeclared" | "tokensToSend">; batches: BatchPlan[] }
  >();
  for (const p of resources) {
    const m = (p.after ?? p.before)!;
    if (m.kind !== "app") continue;
    apps.set(m.construct_path, {
      app: {
        path: m.construct_path,
        appId: m.app_id,
        name: m.name,
        platform: m.platform,
        change: changeOf(p),
      },
      batches: [],
    });
  }
  for (const p of resources) {
    const m = (p.after ?? p.before)!;
    if (m.kind !== "token-import-batch") continue;
    if (!apps.has(m.app_path)) {
      apps.set(m.app_path, {
        app: {
          path: m.app_path,
          appId: m.app_id,
          name: m.app_name,
          platform: m.platform,
          change: "unchanged",
        },
        batches: [],
      });
    }
    apps.get(m.app_path)!.batches.push(batchPlan(p, m));
  }
  return [...apps.values()].map(({ app, batches }) => ({
    ...app,
    batches,
    tokensDeclared: byMode(
      batches.filter((b) => b.change !== "removed"),
      (b) => b.counts.valid,
    ),
    tokensToSend: byMode(batches, (b) => b.tokensToSend),
  }));
}

function batchPlan(p: Planned, m: BatchManifest): BatchPlan {
  const change = changeOf(p);
  const old = p.before?.kind === "token-import-batch" ? p.before : undefined;
  const sends = change === "new" || change === "replaced" || change === "retried";
  const plan: BatchPlan = {
    path: m.construct_path,
    change,
    mode: m.mode,
    source: m.source,
    digest: m.digest,
    ...(change === "replaced" && old !== undefined && old.digest !== m.digest
      ? { previousDigest: old.digest }
      : {}),
    counts: {
      rowsRead: m.counts.rows_read,
      valid: m.counts.valid,
      rejected: m.counts.rejected,
      duplicates: m.counts.duplicates,
      skipped: m.counts.skipped,
      warnings: m.counts.warnings,
    },
    tokensToSend: sends ? m.counts.valid : 0,
  };
  if (change === "replaced" || change === "retried") {
    const text = describeChange(p.address, p.action!, p.before, m).text;
    return { ...plan, resend: text.slice(text.indexOf(": ") + 2) };
  }
  return plan;
}

function validationNote(b: BatchPlan): ValidationNote[] {
  const { warnings, duplicates, skipped, rowsRead } = b.counts;
  if (b.change === "removed" || warnings + duplicates + skipped === 0) return [];
  const parts = [
    warnings > 0 ? plural(warnings, "warning") : "",
    duplicates > 0 ? `${plural(duplicates, "duplicate row")} collapsed` : "",
    skipped > 0 ? `${plural(skipped, "row")} skipped` : "",
  ].filter((s) => s !== "");
  return [
    {
      path: b.path,
      source: b.source,
      warnings,
      duplicates,
      skipped,
      text:
        `${parts.join(", ")} of ${rowsRead} read in ${b.source}; ` +
        "`braze-push-migrate validate` on the file lists them",
    },
  ];
}

function receiverPlan(
  p: Planned,
  targets: ReadonlyMap<string, PlanReceiverTarget> | undefined,
): ReceiverSettingPlan {
  const m = (p.after ?? p.before) as ReceiverSettingsManifest;
  const change = changeOf(p);
  const target: PlanReceiverTarget = targets?.get(m.construct_path) ?? {
    kind: "unknown",
    reason: "the plan was summarised without looking up the endpoint",
  };
  const base = {
    path: m.construct_path,
    appId: m.app_id,
    appPath: m.app_path,
    receiver: m.receiver,
    flatten: m.flatten,
    keys: Object.keys(m.key_value_pairs),
    change,
    target: target.kind,
    ...(m.flatten_confirmation === undefined ? {} : { confirmation: m.flatten_confirmation }),
  };
  // a setting that leaves the stack is left alone in Braze: nothing to judge
  if (change === "removed") return base;
  const status = receiverStatusOf(m, target);
  return {
    ...base,
    state: status.state,
    detail: status.detail,
    ...(status.requestText === undefined ? {} : { requestText: status.requestText }),
  };
}

function stackTotals(s: Omit<PlanSummary, "totals">): PlanTotals {
  const batches = s.apps.flatMap((a) => a.batches);
  const count = Object.fromEntries(
    (["new", "unchanged", "replaced", "removed", "retried", "updated"] as const).map((c) => [
      c,
      batches.filter((b) => b.change === c).length,
    ]),
  ) as Record<Change, number>;
  return {
    toChange: s.changes.length,
    unchanged: s.unchanged,
    batches: count,
    tokensDeclared: sumModes(s.apps.map((a) => a.tokensDeclared)),
    tokensToSend: sumModes(s.apps.map((a) => a.tokensToSend)),
    validationNotes: s.validation.length,
    pendingConfirmations: s.receiverSettings.filter((r) => r.state === "pending_confirmation")
      .length,
  };
}

function addTotals(all: readonly PlanTotals[]): PlanTotals {
  const sum = (f: (t: PlanTotals) => number) => all.reduce((n, t) => n + f(t), 0);
  const batches = Object.fromEntries(
    (["new", "unchanged", "replaced", "removed", "retried", "updated"] as const).map((c) => [
      c,
      sum((t) => t.batches[c]),
    ]),
  ) as Record<Change, number>;
  return {
    toChange: sum((t) => t.toChange),
    unchanged: sum((t) => t.unchanged),
    batches,
    tokensDeclared: sumModes(all.map((t) => t.tokensDeclared)),
    tokensToSend: sumModes(all.map((t) => t.tokensToSend)),
    validationNotes: sum((t) => t.validationNotes),
    pendingConfirmations: sum((t) => t.pendingConfirmations),
  };
}

function byMode<T extends { mode: BatchManifest["mode"] }>(
  items: readonly T[],
  value: (item: T) => number,
): ModeCounts {
  const of = (mode: BatchManifest["mode"]) =>
    items.filter((i) => i.mode === mode).reduce((n, i) => n + value(i), 0);
  const identified = of("identified");
  const anonymous = of("anonymous");
  return { identified, anonymous, total: identified + anonymous };
}

function sumModes(all: readonly ModeCounts[]): ModeCounts {
  const identified = all.reduce((n, c) => n + c.identified, 0);
  const anonymous = all.reduce((n, c) => n + c.anonymous, 0);
  return { identified, anonymous, total: identified + anonymous };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
