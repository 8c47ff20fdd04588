import { DRIFT_STATES, type BatchDrift, type DriftReport, type DriftState } from "./types";

/** Exit code when nothing needs action. */
export const DRIFT_EXIT_OK = 0;
/** Exit code of a check that failed (Braze refused, a file or option was wrong). */
export const DRIFT_EXIT_ERROR = 1;
/** Exit code when tokens are `missing` or `moved`, or undeclared tokens were found. */
export const DRIFT_EXIT_ACTION = 2;

/** The states that need action: each fails the check with {@link DRIFT_EXIT_ACTION}. */
export const ACTION_STATES: readonly DriftState[] = ["missing", "moved"];

const LABELS: Record<DriftState, string> = {
  in_sync: "in sync",
  missing: "missing",
  claimed_by_sdk: "claimed by SDK",
  moved: "moved",
  removed: "removed",
  not_checked: "not checked",
};

/**
 * The exit code of a drift report: 2 when any token is `missing` or `moved` or an undeclared
 * token was found, 0 otherwise (`claimed_by_sdk`, `removed` and `not_checked` are reported but
 * need no action from the migration). 1 is for a check that failed, which gives no report.
 */
export function driftExitCode(report: DriftReport): number {
  const { summary } = report;
  return summary.missing + summary.moved + summary.undeclared > 0
    ? DRIFT_EXIT_ACTION
    : DRIFT_EXIT_OK;
}

/** The report as JSON text (the `--json` output): the versioned shape, one object. */
export function formatDriftJson(report: DriftReport): string {
  return JSON.stringify(report, null, 2);
}

/**
 * The report as Markdown fit for a pull-request comment: a verdict line, one table row per
 * batch, the drifted tokens per batch in a collapsed section, and the undeclared tokens.
 * Tokens appear only as their last 6 characters.
 */
export function formatDriftMarkdown(report: DriftReport): string {
  const { summary } = report;
  const lines: string[] = [];
  const action = driftExitCode(report) === DRIFT_EXIT_ACTION;

  lines.push("### Braze push token drift", "");
  lines.push(
    action
      ? "**Needs action:** declared tokens are missing or moved, or Braze holds undeclared ones."
      : "**No action needed.**",
    "",
  );
  const totals = DRIFT_STATES.map((state) => `${LABELS[state]} ${n(summary[state])}`);
  lines.push(
    `${n(summary.declared)} declared: ${totals.join(", ")}; undeclared ${n(summary.undeclared)}` +
      (report.undeclared.checked ? "" : " (not checked)"),
    "",
  );

  if (report.batches.length > 0) {
    lines.push(
      `| batch | app | mode | method | tokens | ${DRIFT_STATES.map((s) => LABELS[s]).join(" | ")} |`,
      `|---|---|---|---|--:|${DRIFT_STATES.map(() => "--:").join("|")}|`,
    );
    for (const batch of report.batches) {
      const cells = [
        code(batch.id),
        cell(batch.appName),
        batch.mode,
        batch.method.replace(/_/g, " "),
        n(batch.tokens),
        ...DRIFT_STATES.map((state) => n(batch.counts[state])),
      ];
      lines.push(`| ${cells.join(" | ")} |`);
    }
    lines.push("");
  }

  for (const batch of report.batches) lines.push(...batchDetails(batch));

  const undeclared = report.undeclared;
  if (!undeclared.checked) {
    lines.push(`Undeclared tokens not checked: ${cell(undeclared.reason ?? "")}.`, "");
  } else if (undeclared.count > 0) {
    lines.push(
      `<details><summary>${n(undeclared.count)} undeclared: import profiles holding tokens ` +
        "no stack declares</summary>",
      "",
      "| app | token | braze_id |",
      "|---|---|---|",
      ...undeclared.tokens.map(
        (t) => `| ${cell(t.app)} | ${code(t.token)} | ${code(t.brazeId ?? "")} |`,
      ),
    );
    if (undeclared.notListed > 0) lines.push("", `and ${n(undeclared.notListed)} more`);
    lines.push("", "</details>", "");
  }
  return lines.join("\n");
}

function batchDetails(batch: BatchDrift): string[] {
  const drifted = batch.tokens - batch.counts.in_sync;
  if (drifted === 0 && batch.notes.length === 0) return [];
  const out = [
    `<details><summary>${cell(batch.id)}: ${n(drifted)} drifted</summary>`,
    "",
    ...batch.notes.map((note) => `- ${cell(note)}`),
  ];
  if (batch.drifted.length > 0) {
    if (batch.notes.length > 0) out.push("");
    out.push(
      "| line | token | state | external_id | held by | reason |",
      "|--:|---|---|---|---|---|",
    );
    for (const t of batch.drifted) {
      const heldBy = t.heldBy === undefined ? "" : t.heldBy === null ? "(anonymous)" : t.heldBy;
      out.push(
        `| ${t.line} | ${code(t.token)} | ${t.state} | ${cell(t.externalId ?? "")} | ` +
          `${cell(heldBy)} | ${cell(t.reason)} |`,
      );
    }
  }
  if (batch.driftedNotListed > 0) out.push("", `and ${n(batch.driftedNotListed)} more`);
  out.push("", "</details>", "");
  return out;
}

function n(value: number): string {
  return value.toLocaleString("en-US");
}

// table cells: pipes and line breaks would break the row
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");
}

function code(text: string): string {
  return text === "" ? "" : `\`${cell(text.replace(/`/g, "'"))}\``;
}
