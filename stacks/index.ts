import type { App } from "cdktf";
import {
  AndroidReceiverSettings,
  BrazeApp,
  BrazeMigrationStack,
  TokenImportBatch,
} from "../src/constructs";

/**
 * Declares this repository's migrations; `main.ts` calls this with the CDKTF app.
 *
 * The example: Acme moves from its in-house push sender to Braze. Its iOS and Android apps
 * keep their tokens, known users by external_id and the rest anonymously, and the old Android
 * receiver keeps displaying pushes until the Braze SDK ships. The app_ids are those the local
 * emulator serves by default, so `braze-push-migrate apply` rehearses it with no account; a
 * real migration puts the workspace's app_ids here.
 */
export function buildStacks(app: App): void {
  // endpoint left out: BRAZE_REST_ENDPOINT decides at apply time (the emulator or Braze)
  const stack = new BrazeMigrationStack(app, "acme", { apiKeyEnvVar: "BRAZE_API_KEY" });

  const ios = new BrazeApp(stack, "ios", {
    appId: "00000000-0000-4000-8000-0000000000a1",
    name: "Acme iOS",
    platform: "ios",
  });
  const android = new BrazeApp(stack, "android", {
    appId: "00000000-0000-4000-8000-0000000000a2",
    name: "Acme Android",
    platform: "android",
  });

  // the old receiver reads these keys at the top level of the FCM data map
  new AndroidReceiverSettings(stack, "legacy-receiver", {
    app: android,
    keyValuePairs: { sender: "acme-legacy", display: "legacy-receiver" },
    flatten: true,
  });

  new TokenImportBatch(stack, "ios-known-users", {
    app: ios,
    source: "stacks/data/ios-known-users.csv",
    mode: "identified",
  });
  new TokenImportBatch(stack, "ios-anonymous", {
    app: ios,
    source: "stacks/data/ios-anonymous.csv",
    mode: "anonymous",
  });
  new TokenImportBatch(stack, "android-known-users", {
    app: android,
    source: "stacks/data/android-known-users.csv",
    mode: "identified",
    columns: { customAttributes: { plan: "plan" } },
  });
  new TokenImportBatch(stack, "android-anonymous", {
    app: android,
    source: "stacks/data/android-anonymous.ndjson",
    mode: "anonymous",
    columns: { token: "registration_id", deviceId: "installation" },
  });
}
