import { createHash } from "node:crypto";
import type { TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { MANIFEST_VERSION, type ReceiverSettingsManifest } from "../manifest/manifest";
import type { BrazeApp } from "./braze-app";
import { BrazeMigrationStack } from "./braze-migration-stack";
import { MigrationError } from "./errors";

import { createMigrationResource } from "./migration-resource";

/** What the previous provider's Android receiver needs from a push. */
export interface AndroidReceiverSettingsProps {
  /** The Android app whose pushes the old receiver displays. */
  readonly app: BrazeApp;
  /** The key-value pairs the old receiver expects in the FCM data of every push. */
  readonly keyValuePairs: Readonly<Record<string, string>>;
  /**
   * Whether Braze must put the pairs at the top level of the FCM data map ("flattening"),
   * which only Braze staff can switch on. Without it Braze sends them inside one `extra` key.
   * @default false
   */
  readonly flatten?: boolean;
  /**
   * A reference to Braze's confirmation that flattening is on for this app, for example the
   * support ticket. Against Braze, a flattening that is not confirmed stays pending: the apply
   * fails and prints the request to send.
   * @default - not confirmed
   */
  readonly flattenConfirmation?: string;
}

// keys Braze's Android payload uses itself (Braze Android SDK constants, braze-api.md)
const BRAZE_DATA_KEYS = ["_ab", "t", "a", "cid", "uri", "extra"];

/**
 * The settings an Android app's previous push receiver needs until the Braze SDK ships.
 *
 * @example
 * new AndroidReceiverSettings(stack, "legacy-receiver", {
 *   app: android,
 *   keyValuePairs: { provider: "acme-push", channel: "default" },
 *   flatten: true,
 *   flattenConfirmation: "Braze support ticket 123456",
 * });
 */
export class AndroidReceiverSettings extends Construct {
  readonly app: BrazeApp;
  readonly keyValuePairs: Readonly<Record<string, string>>;
  readonly flatten: boolean;
  /** The Terraform resource whose handler applies or records the settings. */
  readonly resource: TerraformResource;

  constructor(scope: Construct, id: string, props: AndroidReceiverSettingsProps) {
    super(scope, id);
    const stack = BrazeMigrationStack.of(this);
    const path = this.node.path;
    const { app } = props;

    if (BrazeMigrationStack.of(app) !== stack) {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        `app ${app.node.path} belongs to another stack: declare the app in ${stack.node.path}`,
      );
    }
    if (app.platform !== "android") {
      throw new MigrationError(
        "RECEIVER_NOT_ANDROID",
        path,
        `app ${app.node.path} is ${app.platform}: receiver settings (FCM data key-value pairs, ` +
          "flattening) exist for Android apps only; give the Android app",
      );
    }
    const other = stack.node
      .findAll()
      .find((c) => c instanceof AndroidReceiverSettings && c.app === app);
    if (other !== undefined) {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        `app ${app.node.path} already has receiver settings in ${other.node.path}: an app has ` +
          "one receiver; merge the key-value pairs there",
      );
    }
    checkPairs(path, props.keyValuePairs);
    const confirmation = props.flattenConfirmation;
    if (confirmation !== undefined && (props.flatten !== true || confirmation.trim() === "")) {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        "flattenConfirmation names Braze's confirmation of flattening: set it only with " +
          "flatten: true, and not empty",
      );
    }
    this.app = app;
    this.keyValuePairs = { ...props.keyValuePairs };
    this.flatten = props.flatten === true;

    const manifest: ReceiverSettingsManifest = {
      kind: "android-receiver-settings",
      version: MANIFEST_VERSION,
      construct_path: path,
      ...(stack.endpoint === undefined ? {} : { endpoint: stack.endpoint }),
      api_key_env: stack.apiKeyEnvVar,
      app_id: app.appId,
      app_path: app.node.path,
      app_name: app.name,
      key_value_pairs: this.keyValuePairs,
      flatten: this.flatten,
      ...(confirmation === undefined ? {} : { flatten_confirmation: confirmation }),
    };
    this.resource = createMigrationResource(this, {
      kind: stack.resourceKind,
      manifest,
      replaceOn: {
        app_id: app.appId,
        flatten: String(this.flatten),
        pairs: pairsDigest(this.keyValuePairs),
        confirmation: confirmation ?? "",
      },
      dependsOn: [app.resource],
    });
  }
}

function checkPairs(path: string, pairs: Readonly<Record<string, string>>): void {
  const entries = Object.entries(pairs ?? {});
  if (entries.length === 0) {
    throw new MigrationError(
      "INVALID_PROPERTY",
      path,
      "keyValuePairs is empty: list the pairs the old receiver expects, or drop this construct",
    );
  }
  for (const [key, value] of entries) {
    if (key.trim() === "" || typeof value !== "string") {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        `keyValuePairs["${key}"] must have a non-empty key and a string value`,
      );
    }
    if (BRAZE_DATA_KEYS.includes(key)) {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        `keyValuePairs key "${key}" is one Braze's own Android payload uses ` +
          `(${BRAZE_DATA_KEYS.join(", ")}): a flattened pair would collide with it; rename it`,
      );
    }
  }
}

// order-independent, so reordering the pairs in code does not replace the resource
function pairsDigest(pairs: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(pairs)
    .sort()
    .map((k) => [k, pairs[k]]);
  return `sha256:${createHash("sha256").update(JSON.stringify(sorted)).digest("hex")}`;
}
