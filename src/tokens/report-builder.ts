/**
 * Counting what a read finds. Every issue is counted; only the first few are kept whole, so a
 * file with a million bad rows costs no more memory than one with a hundred.
 */
import { describePlan, type ColumnPlan } from "./columns";
import type { PresetDefinition } from "./presets";
import type {
  TokenFileFormat,
  TokenIssue,
  TokenIssueCode,
  TokenReport,
  TokenSourceOptions,
} from "./types";

// the rejections only a whole-file search for repeats can make
const REPEAT_CODES: readonly TokenIssueCode[] = [
  "TOKEN_CLAIMED_TWICE",
  "TOKEN_REPEATED_DIFFERENTLY",
];

/** How many rejections and warnings a report keeps by default. */
export const DEFAULT_KEEP_ISSUES = 100;

/** The mutable tally behind a {@link TokenReport}. */
export class ReportBuilder {
  rowsRead = 0;
  valid = 0;
  duplicates = 0;
  /** The column plan in force; fixed to the header once a CSV header is read. */
  plan: ColumnPlan | undefined;

  private rejected = 0;
  private skipped = 0;
  private warned = 0;
  private readonly rejectedByCode: Partial<Record<TokenIssueCode, number>> = {};
  private readonly warningsByCode: Partial<Record<TokenIssueCode, number>> = {};
  private readonly skippedByReason: Record<string, number> = {};
  private readonly rejections: FirstIssues;
  private readonly warnings: FirstIssues;
  private readonly notes: string[] = [];

  constructor(
    private readonly options: TokenSourceOptions,
    private readonly preset: PresetDefinition,
    private readonly format: TokenFileFormat,
    private readonly gzip: boolean,
  ) {
    const keep = options.keepIssues ?? DEFAULT_KEEP_ISSUES;
    this.rejections = new FirstIssues(keep);
    this.warnings = new FirstIssues(keep);
  }

  /** Counts a rejected row and keeps it if it is among the `keepIssues` first by line. */
  reject(issue: TokenIssue): void {
    this.rejected++;
    this.rejectedByCode[issue.code] = (this.rejectedByCode[issue.code] ?? 0) + 1;
    this.rejections.add(issue);
  }

  /** Counts a warning on a row that is still imported. */
  warn(issue: TokenIssue): void {
    this.warned++;
    this.warningsByCode[issue.code] = (this.warningsByCode[issue.code] ?? 0) + 1;
    this.warnings.add(issue);
  }

  /**
   * Takes the repeats a scan of the same file found (their count, and their rejections among the
   * first kept), for a read that skips them instead of finding them again.
   */
  adoptRepeats(scan: TokenReport): void {
    this.duplicates = scan.counts.duplicates;
    for (const code of REPEAT_CODES) {
      const n = scan.rejectedByCode[code] ?? 0;
      if (n === 0) continue;
      this.rejected += n;
      this.rejectedByCode[code] = (this.rejectedByCode[code] ?? 0) + n;
    }
    for (const issue of scan.rejections) {
      if (REPEAT_CODES.includes(issue.code)) this.rejections.add(issue);
    }
  }

  /** Counts a row that does not belong in this import. */
  skip(reason: string): void {
    this.skipped++;
    this.skippedByReason[reason] = (this.skippedByReason[reason] ?? 0) + 1;
  }

  /** Adds a note for the reviewer. */
  note(text: string): void {
    this.notes.push(text);
  }

  /** Notes what a CSV header means for the preset's row filter. */
  noteHeader(header: readonly string[]): void {
    const { filterColumns, filterNote } = this.preset;
    if (filterNote !== undefined && !filterColumns.some((name) => header.includes(name))) {
      this.note(filterNote);
    }
  }

  /** The finished report. */
  build(digest: string): TokenReport {
    const { file, platform, mode } = this.options;
    return {
      file,
      format: this.format,
      gzip: this.gzip,
      preset: this.options.preset ?? "plain",
      platform,
      mode,
      digest,
      counts: {
        rowsRead: this.rowsRead,
        valid: this.valid,
        rejected: this.rejected,
        duplicates: this.duplicates,
        skipped: this.skipped,
        warnings: this.warned,
      },
      rejectedByCode: this.rejectedByCode,
      warningsByCode: this.warningsByCode,
      skippedByReason: this.skippedByReason,
      columns: this.plan === undefined ? {} : describePlan(this.plan),
      rejections: this.rejections.list(),
      warnings: this.warnings.list(),
      notes: this.notes,
    };
  }
}

/**
 * The `keep` issues of lowest line. Issues arrive nearly in line order (rows are judged a chunk
 * at a time, so a repeat can be rejected after a later row's rule failure); once full, a later
 * issue costs one comparison with the highest line kept.
 */
class FirstIssues {
  private readonly kept: TokenIssue[] = [];
  private highest = -1;

  constructor(private readonly keep: number) {}

  add(issue: TokenIssue): void {
    if (this.kept.length < this.keep) {
      this.kept.push(issue);
      if (this.kept.length === this.keep) this.highest = this.findHighest();
      return;
    }
    if (this.highest === -1 || issue.line >= this.kept[this.highest].line) return;
    this.kept[this.highest] = issue;
    this.highest = this.findHighest();
  }

  /** The kept issues by line. */
  list(): TokenIssue[] {
    return [...this.kept].sort((a, b) => a.line - b.line);
  }

  private findHighest(): number {
    let highest = 0;
    for (let i = 1; i < this.kept.length; i++) {
      if (this.kept[i].line > this.kept[highest].line) highest = i;
    }
    return this.kept.length === 0 ? -1 : highest;
  }
}
