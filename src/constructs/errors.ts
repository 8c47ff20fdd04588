/** Stable codes of the mistakes synth refuses. Branch on these, never on the message. */
export type MigrationErrorCode =
  | "INVALID_PROPERTY"
  | "NOT_IN_MIGRATION_STACK"
  | "DUPLICATE_APP_ID"
  | "WEB_APP_TOKENS"
  | "RECEIVER_NOT_ANDROID"
  | "TOKEN_WRONG_PLATFORM"
  | "BATCH_FILE_INVALID"
  | "TOKEN_IN_TWO_BATCHES"
  | "BATCH_NOT_PREPARED";

/**
 * A declaration that cannot be synthesised. The message starts with the construct path and
 * says what is wrong, the rule and the fix.
 */
export class MigrationError extends Error {
  constructor(
    /** Stable code to branch on. */
    readonly code: MigrationErrorCode,
    /** The path of the construct at fault, e.g. `acme/ios-known-users`. */
    readonly constructPath: string,
    message: string,
  ) {
    super(`[${constructPath}] ${message}`);
    this.name = "MigrationError";
  }
}

/** Every mistake `prepareMigrations` found, in declaration order; nothing was synthesised. */
export class MigrationValidationError extends Error {
  /** Stable code to branch on. */
  readonly code = "MIGRATION_INVALID";

  constructor(readonly errors: readonly MigrationError[]) {
    super(
      `the migration cannot be synthesised (${errors.length} ` +
        `${errors.length === 1 ? "problem" : "problems"}):\n` +
        errors.map((e) => `  ${e.message.replace(/\n/g, "\n    ")}`).join("\n"),
    );
    this.name = "MigrationValidationError";
  }
}
