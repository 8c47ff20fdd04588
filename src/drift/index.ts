/**
 * Drift: every declared token of the applied batches against what Braze holds now, each in one
 * state, plus import profiles no stack declares. Engine code: no cdktf or constructs import.
 */
export { checkDrift } from "./check-drift";
export { decideState, type Decision, type ReadBack } from "./decide";
export { DriftError, type DriftErrorCode } from "./errors";
export { DRIFT_EXPORT_FIELDS, type Holder } from "./holder";
export {
  ACTION_STATES,
  DRIFT_EXIT_ACTION,
  DRIFT_EXIT_ERROR,
  DRIFT_EXIT_OK,
  driftExitCode,
  formatDriftJson,
  formatDriftMarkdown,
} from "./report-format";
export { EXPORT_IDS_PER_REQUEST } from "./read-back";
export * from "./types";
