/**
 * braze-push-migrate: move existing APNs and FCM push tokens into Braze as infrastructure as
 * code. This entry point exports the engine and the CDKTF constructs (`./constructs`, the only
 * part that imports cdktf).
 */
export { startEmulator, type EmulatorOptions, type RunningEmulator } from "./emulator/server";
export {
  emulatorConfigSchema,
  loadConfigFile,
  resolveConfig,
  EmulatorConfigError,
  DEFAULT_API_KEY,
  DEFAULT_APPS,
  type EmulatorConfig,
  type EmulatorConfigInput,
  type FaultRuleInput,
} from "./emulator/config";
export * from "./push/render";
export * from "./push/receivers";
export * from "./client";
export * from "./tokens";
export * from "./drift";
export * from "./constructs";
export * from "./manifest";
export { runHandler, HandlerError, type HandlerErrorCode } from "./handlers";
