/**
 * The CDKTF constructs of a migration: the thin synth-time layer over the engine. Only this
 * folder imports cdktf and constructs.
 */
export { BrazeMigrationStack, type BrazeMigrationStackProps } from "./braze-migration-stack";
export { BrazeApp, type BrazeAppProps } from "./braze-app";
export {
  AndroidReceiverSettings,
  type AndroidReceiverSettingsProps,
} from "./android-receiver-settings";
export { TokenImportBatch, type TokenImportBatchProps } from "./token-import-batch";
export { prepareMigrations, synthMigrations } from "./prepare";
export { MigrationError, MigrationValidationError, type MigrationErrorCode } from "./errors";
