/**
 * Android receivers before the Braze SDK ships: presets of what an old provider's receiver
 * needs, resolution and validation of a declared setting, the preview of the FCM data map a
 * device receives, test sends, and where a setting stands (emulator or real Braze). Engine
 * code: no cdktf or constructs import belongs here.
 */
export * from "./errors";
export * from "./presets";
export * from "./resolve";
export * from "./preview";
export * from "./preview-format";
export * from "./send-test";
export * from "./status";
export * from "./emulator-admin";
