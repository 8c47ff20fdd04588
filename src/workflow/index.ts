/** The workflow commands' machinery: synth, terraform, plan summaries. Engine code: no cdktf. */
export {
  apply,
  plan,
  planStack,
  synth,
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
export type { SynthesisedStack } from "./synth";
