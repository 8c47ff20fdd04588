/** The workflow commands' machinery: synth, terraform, plan summaries. Engine code: no cdktf. */
export {
  appliedManifests,
  apply,
  plan,
  planStack,
  planStacks,
  synth,
  type AppliedStack,
  type ChangeOptions,
  type StackPlan,
  type WorkflowOptions,
} from "./workflow";
export {
  formatPlanSummary,
  planReport,
  plannedManifests,
  PLAN_REPORT_VERSION,
  summarisePlan,
  type AppPlan,
  type BatchPlan,
  type Change,
  type ModeCounts,
  type PlanReport,
  type PlanSummary,
  type PlanTotals,
  type PlannedChange,
  type ReceiverSettingPlan,
  type SummaryOptions,
  type ValidationNote,
} from "./plan-summary";
export { formatPlanMarkdown } from "./plan-markdown";
export { receiverTargets, type PlanReceiverTarget } from "./plan-receivers";
export { WorkflowError, type WorkflowErrorCode } from "./workflow-error";
export { pickStack, type SynthesisedStack } from "./synth";
export {
  pickReceiverSettings,
  readStackManifests,
  STACK_JSON,
  type StackManifest,
} from "./stack-manifests";
