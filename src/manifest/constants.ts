/**
 * The names that couple the constructs (synth time) to the handlers (apply time) and the
 * workflow commands. Both sides import them from here, so a rename breaks the compiler, not a
 * deployment whose Terraform JSON was synthesised by another version.
 */

/** The command Terraform runs; the workflow commands put it on PATH (see `bin-shim.ts`). */
export const HANDLER_COMMAND = "braze-push-migrate";

/** The subcommand of {@link HANDLER_COMMAND} that serves Terraform's provisioners. */
export const HANDLER_SUBCOMMAND = "handler";

/** What a provisioner asks the handler to do. */
export type HandlerEvent = "create" | "destroy";

/** The resource kinds a migration stack can synthesise to. */
export type ResourceKind = "terraform_data" | "null_resource";

/** Environment variables the provisioners set for the handler (values come from the plan). */
export const HANDLER_ENV = {
  /** The resource's manifest as JSON (`jsonencode(self.input)` or `self.triggers.manifest`). */
  manifest: "BRAZE_PUSH_MIGRATE_MANIFEST",
  /** Share of the workspace rate limit one handler may use, decided at synth. */
  rateShare: "BRAZE_PUSH_MIGRATE_RATE_SHARE",
} as const;

/** Environment variables the caller of Terraform may set; the handler reads them. */
export const OPERATOR_ENV = {
  /** Folder of the import ledgers; the workflow commands set it to the project's. */
  ledgerDir: "BRAZE_PUSH_MIGRATE_LEDGER_DIR",
  /** `1`: identified rows whose earlier request may have landed are sent again. */
  resendInDoubt: "BRAZE_PUSH_MIGRATE_RESEND_IN_DOUBT",
  /** Requests in flight per handler. */
  concurrency: "BRAZE_PUSH_MIGRATE_CONCURRENCY",
} as const;

/**
 * Resources Terraform creates or destroys at once by default (`-parallelism`, documented in
 * Terraform's `apply` command reference). The rate share of a batch is 1 / min(batches, this).
 */
export const TERRAFORM_PARALLELISM = 10;

/** The oldest Terraform with the built-in `terraform_data` resource (Terraform 1.4 changelog). */
export const MIN_TERRAFORM_VERSION = "1.4.0";
