/** The workflow commands' machinery: synth, terraform, plan summaries. Engine code: no cdktf. */
export {
  appliedManifests,
  apply,
  plan,
  synth,
  type AppliedStack,
  type ChangeOptions,
  type WorkflowOptions,
} from "./workflow";
export {
  formatPlanSummary,
  summarisePlan,
  type PlanSummary,
  type PlannedChange,
} from "./plan-summary";
export { WorkflowError, type WorkflowErrorCode } from "./workflow-error";
export { pickStack, type SynthesisedStack } from "./synth";
export {
  pickReceiverSettings,
  readStackManifests,
  STACK_JSON,
  type StackManifest,
} from "./stack-manifests";
