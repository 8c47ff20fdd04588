/** Stable codes of the ways a workflow command fails before or around Terraform. */
export type WorkflowErrorCode =
  | "TERRAFORM_MISSING"
  | "TERRAFORM_TOO_OLD"
  | "TERRAFORM_FAILED"
  | "SYNTH_FAILED"
  | "NO_APP_COMMAND"
  | "STACK_UNKNOWN"
  | "STACK_JSON_INVALID"
  | "RESOURCE_UNKNOWN"
  | "NOT_CONFIRMED"
  | "BAD_OPTION";

/** A workflow step failed; the message says which and what to do. */
export class WorkflowError extends Error {
  constructor(
    /** Stable code to branch on. */
    readonly code: WorkflowErrorCode,
    message: string,
    /** The exit code the CLI should end with. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "WorkflowError";
  }
}
