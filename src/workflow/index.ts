/** The workflow commands' machinery: synth, terraform, plan summaries. Engine code: no cdktf. */
export { apply, plan, synth, type ChangeOptions, type WorkflowOptions } from "./workflow";
export {
  formatPlanSummary,
  summarisePlan,
  type PlanSummary,
  type PlannedChange,
} from "./plan-summary";
export { WorkflowError, type WorkflowErrorCode } from "./workflow-error";
export type { SynthesisedStack } from "./synth";
