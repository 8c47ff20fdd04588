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
  private readonly rejections: TokenIssue[] = [];
  private readonly warnings: TokenIssue[] = [];
  private readonly notes: string[] = [];
  private readonly keep: number;

  constructor(
    private readonly options: TokenSourceOptions,
    private readonly preset: PresetDefinition,
    private readonly format: TokenFileFormat,
    private readonly gzip: boolean,
  ) {
    this.keep = options.keepIssues ?? DEFAULT_KEEP_ISSUES;
  }

  /** Counts a rejected row and keeps it while fewer than `keepIssues` are kept. */
  reject(issue: TokenIssue): void {
    this.rejected++;
    this.rejectedByCode[issue.code] = (this.rejectedByCode[issue.code] ?? 0) + 1;
    if (this.rejections.length < this.keep) this.rejections.push(issue);
  }

  /** Counts a warning on a row that is still imported. */
  warn(issue: TokenIssue): void {
    this.warned++;
    this.warningsByCode[issue.code] = (this.warningsByCode[issue.code] ?? 0) + 1;
    if (this.warnings.length < this.keep) this.warnings.push(issue);
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
      rejections: this.rejections,
      warnings: this.warnings,
      notes: this.notes,
    };
  }
}
