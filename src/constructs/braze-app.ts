import type { TerraformResource } from "cdktf";
import { Construct } from "constructs";
import type { AppManifest, AppPlatform } from "../manifest/manifest";
import { MANIFEST_VERSION } from "../manifest/manifest";
import { BrazeMigrationStack } from "./braze-migration-stack";
import { MigrationError } from "./errors";
import { createMigrationResource } from "./migration-resource";

/** A Braze app as the dashboard shows it. */
export interface BrazeAppProps {
  /** The app's identifier (the dashboard's "API Keys" page lists it per app). */
  readonly appId: string;
  /** The app's name in Braze, as exports report it. */
  readonly name: string;
  /**
   * The app's platform. A `web` app may be declared but takes no token import: Braze cannot
   * import web push tokens through its API.
   */
  readonly platform: AppPlatform;
}

const PLATFORMS: readonly AppPlatform[] = ["ios", "android", "web"];

/**
 * A Braze app of the workspace. Braze has no API that creates or lists apps, so apply checks
 * the app instead of creating it: an app_id the workspace does not know fails the apply, named
 * by this construct's path.
 *
 * @example
 * const ios = new BrazeApp(stack, "ios", { appId: "…", name: "Acme iOS", platform: "ios" });
 */
export class BrazeApp extends Construct {
  readonly appId: string;
  readonly name: string;
  readonly platform: AppPlatform;
  /** The Terraform resource that checks the app. */
  readonly resource: TerraformResource;

  constructor(scope: Construct, id: string, props: BrazeAppProps) {
    super(scope, id);
    const stack = BrazeMigrationStack.of(this);
    const path = this.node.path;

    if (typeof props.appId !== "string" || !/^\S+$/.test(props.appId)) {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        `appId must be the app's identifier without spaces, got "${String(props.appId)}"`,
      );
    }
    if (typeof props.name !== "string" || props.name.trim() === "") {
      throw new MigrationError("INVALID_PROPERTY", path, "name must be the app's name in Braze");
    }
    if (!PLATFORMS.includes(props.platform)) {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        `platform must be ios, android or web, got "${String(props.platform)}"`,
      );
    }
    const twin = stack.node.findAll().find((c) => c instanceof BrazeApp && c.appId === props.appId);
    if (twin !== undefined) {
      throw new MigrationError(
        "DUPLICATE_APP_ID",
        path,
        `app_id ${props.appId} is already declared by ${twin.node.path}: one Braze app, one ` +
          "BrazeApp; use that construct for both",
      );
    }
    this.appId = props.appId;
    this.name = props.name;
    this.platform = props.platform;

    const manifest: AppManifest = {
      kind: "app",
      version: MANIFEST_VERSION,
      construct_path: path,
      ...(stack.endpoint === undefined ? {} : { endpoint: stack.endpoint }),
      api_key_env: stack.apiKeyEnvVar,
      app_id: props.appId,
      name: props.name,
      platform: props.platform,
    };
    this.resource = createMigrationResource(this, {
      kind: stack.resourceKind,
      manifest,
      replaceOn: { app_id: props.appId, platform: props.platform },
    });
  }
}

/**
 * The migration stack of a construct that uses `app` (a batch, receiver settings), checked to
 * be the app's own: a resource cannot reference an app of another stack.
 */
export function stackOfAppUser(user: Construct, app: BrazeApp): BrazeMigrationStack {
  const stack = BrazeMigrationStack.of(user);
  if (BrazeMigrationStack.of(app) !== stack) {
    throw new MigrationError(
      "INVALID_PROPERTY",
      user.node.path,
      `app ${app.node.path} belongs to another stack: declare the app in ${stack.node.path}`,
    );
  }
  return stack;
}
