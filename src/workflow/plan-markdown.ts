/**
 * The plan report as Markdown for a pull-request comment (GitHub-flavoured: tables and
 * `<details>`): a heading with the verdict, the totals, a table per app, what is sent again,
 * validation notes, and receiver settings with the request text for Braze folded away.
 * Tokens never appear (the report holds none); construct paths and files are code spans.
 */
import type {
  AppPlan,
  Change,
  ModeCounts,
  PlanReport,
  PlanSummary,
  ReceiverSettingPlan,
} from "./plan-summary";

const STATE_WORDS = {
  applied: "applied",
  not_applied: "switched by apply through the admin API",
  pending_confirmation: "**pending Braze's confirmation**",
  not_checkable: "not checkable",
} as const;

const TARGET_WORDS = { emulator: "emulator", braze: "Braze", unknown: "no endpoint" } as const;

/** The report as one Markdown document. */
export function formatPlanMarkdown(report: PlanReport): string {
  const t = report.totals;
  const out: string[] = [];
  out.push(
    report.changed
      ? `## braze-push-migrate plan: ${plural(t.toChange, "change")}`
      : "## braze-push-migrate plan: no changes",
    "",
  );
  out.push(
    `**Totals:** ${batchCounts(t.batches)}; tokens to send: ${modes(t.tokensToSend)}; ` +
      `tokens declared: ${modes(t.tokensDeclared)}` +
      (t.pendingConfirmations > 0
        ? `; **${plural(t.pendingConfirmations, "receiver setting")} pending Braze's ` +
          "confirmation**"
        : ""),
    "",
  );
  for (const stack of report.stacks) out.push(...stackSection(stack));
  return `${out.join("\n").trimEnd()}\n`;
}

function stackSection(s: PlanSummary): string[] {
  const out = [
    `### Stack ${code(s.stack)}: ` +
      (s.changes.length === 0
        ? "no changes, Braze is as declared"
        : `${s.changes.length} to change, ${s.unchanged} unchanged`),
    "",
  ];
  for (const app of s.apps) out.push(...appTable(app));

  const resent = s.apps.flatMap((a) => a.batches).filter((b) => b.resend !== undefined);
  if (resent.length > 0) {
    out.push("**Sent again**", "");
    for (const b of resent) out.push(`- ${code(b.path)}: ${b.resend}`);
    out.push("");
  }
  const removed = s.apps.flatMap((a) => a.batches).filter((b) => b.change === "removed");
  if (removed.length > 0) {
    out.push("**Removed from the stack** (their tokens stay in Braze)", "");
    for (const b of removed) out.push(`- ${code(b.path)}: ${b.counts.valid} tokens retained`);
    out.push("");
  }
  if (s.validation.length > 0) {
    out.push("**Validation notes** (synth accepted these files)", "");
    for (const v of s.validation) out.push(`- ${code(v.path)}: ${inline(v.text)}`);
    out.push("");
  }
  const settings = s.receiverSettings;
  if (settings.length > 0) {
    out.push("**Android receiver settings**", "");
    out.push("| setting | app | flattening | change | status |", "| --- | --- | --- | --- | --- |");
    for (const r of settings) out.push(receiverRow(r));
    out.push("");
    for (const r of settings) out.push(...receiverDetail(r));
  }
  return out;
}

function appTable(app: AppPlan): string[] {
  const head =
    `#### ${cell(app.name)} (${app.platform}, app_id ${code(app.appId)}, ${code(app.path)})` +
    (app.change === "unchanged" ? "" : `: ${app.change}`);
  if (app.batches.length === 0) return [head, "", "No batches.", ""];
  const rows = app.batches.map(
    (b) =>
      `| ${tcode(b.path)} | ${tcode(b.source)} | ${b.change} | ${b.mode} | ${b.counts.valid} | ` +
      `${b.tokensToSend} | ${b.counts.warnings} |`,
  );
  return [
    head,
    "",
    "| batch | file | change | mode | valid rows | to send | warnings |",
    "| --- | --- | --- | --- | ---: | ---: | ---: |",
    ...rows,
    `| **total** | | | | ${app.tokensDeclared.total} | ${app.tokensToSend.total} | |`,
    "",
  ];
}

function receiverRow(r: ReceiverSettingPlan): string {
  const flattening =
    `${r.flatten ? "on" : "off"} (${r.keys.length === 0 ? "no pairs" : r.keys.map(tcode).join(", ")})` +
    (r.confirmation === undefined ? "" : `, confirmed: ${tcode(r.confirmation)}`);
  const status =
    r.state === undefined
      ? "leaves the stack"
      : `${STATE_WORDS[r.state]} (${TARGET_WORDS[r.target]})`;
  return `| ${tcode(r.path)} | ${tcode(r.appPath)} | ${flattening} | ${r.change} | ${status} |`;
}

function receiverDetail(r: ReceiverSettingPlan): string[] {
  if (r.detail === undefined) return [];
  const out = [`- ${code(r.path)}: ${inline(r.detail)}`];
  if (r.requestText !== undefined) {
    out.push(
      "",
      `<details><summary>Request to send to Braze for <code>${html(r.path)}</code></summary>`,
      "",
      fence(r.requestText),
      "",
      "</details>",
    );
  }
  out.push("");
  return out;
}

function batchCounts(b: Readonly<Record<Change, number>>): string {
  const parts = [`${b.new} new`, `${b.replaced} replaced`, `${b.removed} removed`];
  if (b.retried > 0) parts.push(`${b.retried} retried`);
  if (b.updated > 0) parts.push(`${b.updated} updated`);
  parts.push(`${b.unchanged} unchanged`);
  return `batches ${parts.join(", ")}`;
}

function modes(m: ModeCounts): string {
  return `${m.total} (${m.identified} identified, ${m.anonymous} anonymous)`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A code span that survives backticks in the text. */
function code(text: string): string {
  const ticks = "`".repeat(longestRun(text, "`") + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A code span in a table cell, where a pipe ends the cell unless escaped. */
function tcode(text: string): string {
  return code(text).replace(/\|/g, "\\|");
}

/** Plain text in a table cell or list item: pipes escaped, lines joined. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

function inline(text: string): string {
  return cell(text);
}

function html(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fence(text: string): string {
  const ticks = "`".repeat(Math.max(3, longestRun(text, "`") + 1));
  return `${ticks}text\n${text.trimEnd()}\n${ticks}`;
}

function longestRun(text: string, char: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}
