/** Stable codes of the failures that stop a drift check (a token that drifted is data, not one). */
export type DriftErrorCode = "DRIFT_BAD_BATCH" | "DRIFT_BAD_OPTION" | "DRIFT_EXPORT_UNREADABLE";

/**
 * A drift check that cannot run as asked: a declaration or an option that makes no sense, or a
 * segment export that cannot be read. Braze's own failures stay `BrazeError`s.
 */
export class DriftError extends Error {
  /** A stable code to branch on. */
  readonly code: DriftErrorCode;

  constructor(code: DriftErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DriftError";
    this.code = code;
  }
}
