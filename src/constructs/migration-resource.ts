/**
 * The one place that knows how a manifest becomes a Terraform resource: `terraform_data`
 * (built into Terraform >= 1.4) or `null_resource` (hashicorp/null provider), with local-exec
 * provisioners that run the handler on create and on destroy.
 */
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { DataResource, TerraformStack, type TerraformResource } from "cdktf";
import type { Construct } from "constructs";
import {
  HANDLER_COMMAND,
  HANDLER_ENV,
  HANDLER_SUBCOMMAND,
  type HandlerEvent,
  type ResourceKind,
} from "../manifest/constants";
import { escapeTemplates, type Manifest } from "../manifest/manifest";

/** What a construct asks for. */
export interface MigrationResourceOptions {
  readonly kind: ResourceKind;
  readonly manifest: Manifest;
  /** Values whose change must replace the resource (and so run the handler again). */
  readonly replaceOn: Readonly<Record<string, string>>;
  /** Extra environment for the create handler (e.g. the rate share). */
  readonly createEnv?: Readonly<Record<string, string>>;
  readonly dependsOn?: readonly TerraformResource[];
}

/** The construct id of the resource inside its construct; cdktf names it after the parent. */
export const RESOURCE_ID = "Default";

/**
 * Creates the resource of a construct. The manifest is the whole `input` (terraform_data) or a
 * JSON trigger (null_resource, whose triggers are strings); the provisioners read it back
 * through `self`, the only reference a destroy-time provisioner may make (Terraform docs,
 * "Destroy-Time Provisioners").
 */
export function createMigrationResource(
  scope: Construct,
  options: MigrationResourceOptions,
): TerraformResource {
  const replaceOn = escapeTemplates({ ...options.replaceOn });
  const dependsOn = options.dependsOn === undefined ? undefined : [...options.dependsOn];

  if (options.kind === "null_resource") {
    ensureNullProvider(scope);
    const manifestJson = escapeTemplates(JSON.stringify(options.manifest));
    const fromSelf = "${self.triggers.manifest}";
    return new NullResource(scope, RESOURCE_ID, {
      triggers: { ...replaceOn, manifest: manifestJson },
      dependsOn,
      provisioners: provisioners(fromSelf, options.createEnv),
    });
  }
  return new DataResource(scope, RESOURCE_ID, {
    input: escapeTemplates({ ...options.manifest }),
    triggersReplace: replaceOn,
    dependsOn,
    provisioners: provisioners("${jsonencode(self.input)}", options.createEnv),
  });
}

function provisioners(
  manifestExpression: string,
  createEnv: Readonly<Record<string, string>> = {},
) {
  const command = (event: HandlerEvent) => `${HANDLER_COMMAND} ${HANDLER_SUBCOMMAND} ${event}`;
  return [
    {
      type: "local-exec" as const,
      command: command("create"),
      environment: { [HANDLER_ENV.manifest]: manifestExpression, ...createEnv },
    },
    {
      type: "local-exec" as const,
      when: "destroy" as const,
      command: command("destroy"),
      environment: { [HANDLER_ENV.manifest]: manifestExpression },
    },
  ];
}

const NULL_PROVIDER_ID = "braze-push-migrate-null";

// null_resource needs the hashicorp/null provider declared once per stack
function ensureNullProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  if (stack.node.tryFindChild(NULL_PROVIDER_ID) === undefined) {
    new NullProvider(stack, NULL_PROVIDER_ID);
  }
}
