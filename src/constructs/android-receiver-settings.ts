import { createHash } from "node:crypto";
import type { TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { MANIFEST_VERSION, type ReceiverSettingsManifest } from "../manifest/manifest";
import { ReceiverError } from "../push/receivers/errors";
import type { ReceiverId } from "../push/receivers/presets";
import { assertValidSetting, resolveReceiverSetting } from "../push/receivers/resolve";
import { stackOfAppUser, type BrazeApp } from "./braze-app";
import { MigrationError } from "./errors";

import { createMigrationResource } from "./migration-resource";

/** What the previous provider's Android receiver needs from a push. */
export interface AndroidReceiverSettingsProps {
  /** The Android app whose pushes the old receiver displays. */
  readonly app: BrazeApp;
  /**
   * The old provider's receiver: `onesignal`, `airship` (presets whose keys and flattening
   * come from the SDKs' sources, see docs/android-receivers.md) or `custom`.
   * @default "custom"
   */
  readonly receiver?: ReceiverId;
  /**
   * The key-value pairs the old receiver expects in the FCM data of every push.
   * @default {} - allowed for the presets; a `custom` receiver needs at least one pair
   */
  readonly keyValuePairs?: Readonly<Record<string, string>>;
  /**
   * Whether Braze must put the pairs at the top level of the FCM data map ("flattening"),
   * which only Braze staff can switch on. Without it Braze sends them inside one `extra` key.
   * @default - the preset's need: true for onesignal and airship, false for custom
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
  readonly receiver: ReceiverId;
  readonly keyValuePairs: Readonly<Record<string, string>>;
  readonly flatten: boolean;
  /** The Terraform resource whose handler applies or records the settings. */
  readonly resource: TerraformResource;

  constructor(scope: Construct, id: string, props: AndroidReceiverSettingsProps) {
    super(scope, id);
    const path = this.node.path;
    const { app } = props;
    const stack = stackOfAppUser(this, app);
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
    const receiver = props.receiver ?? "custom";
    const pairs = { ...(props.keyValuePairs ?? {}) };
    if (receiver === "custom" && Object.keys(pairs).length === 0) {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        "keyValuePairs is empty: list the pairs the old receiver expects, or drop this construct",
      );
    }
    const flatten = resolve(path, app.appId, receiver, pairs, props.flatten).flatten;
    const confirmation = props.flattenConfirmation;
    if (confirmation !== undefined && (!flatten || confirmation.trim() === "")) {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        "flattenConfirmation names Braze's confirmation of flattening: set it only with " +
          "flatten: true, and not empty",
      );
    }
    this.app = app;
    this.receiver = receiver;
    this.keyValuePairs = pairs;
    this.flatten = flatten;

    const manifest: ReceiverSettingsManifest = {
      kind: "android-receiver-settings",
      version: MANIFEST_VERSION,
      construct_path: path,
      ...(stack.endpoint === undefined ? {} : { endpoint: stack.endpoint }),
      api_key_env: stack.apiKeyEnvVar,
      app_id: app.appId,
      app_path: app.node.path,
      app_name: app.name,
      receiver,
      key_value_pairs: this.keyValuePairs,
      flatten: this.flatten,
      ...(confirmation === undefined ? {} : { flatten_confirmation: confirmation }),
    };
    this.resource = createMigrationResource(this, {
      kind: stack.resourceKind,
      manifest,
      replaceOn: {
        app_id: app.appId,
        receiver,
        flatten: String(this.flatten),
        pairs: pairsDigest(this.keyValuePairs),
        confirmation: confirmation ?? "",
      },
      dependsOn: [app.resource],
    });
  }
}

// the engine's rules for receiver settings (src/push/receivers/resolve.ts), errors refused here
function resolve(
  path: string,
  appId: string,
  receiver: ReceiverId,
  keyValuePairs: Record<string, string>,
  flatten: boolean | undefined,
) {
  try {
    const setting = resolveReceiverSetting({ appId, receiver, keyValuePairs, flatten });
    assertValidSetting(setting);
    return setting;
  } catch (err) {
    if (!(err instanceof ReceiverError)) throw err;
    throw new MigrationError("INVALID_PROPERTY", path, err.message);
  }
}

// order-independent, so reordering the pairs in code does not replace the resource
function pairsDigest(pairs: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(pairs)
    .sort()
    .map((k) => [k, pairs[k]]);
  return `sha256:${createHash("sha256").update(JSON.stringify(sorted)).digest("hex")}`;
}
