import { TerraformStack } from "cdktf";
import type { Construct, IConstruct } from "constructs";
import { BRAZE_API_KEY_ENV, resolveEndpoint } from "../client/endpoint";
import { MIN_TERRAFORM_VERSION, type ResourceKind } from "../manifest/constants";
import { MigrationError } from "./errors";

/** How a migration stack talks to Braze and what it synthesises to. */
export interface BrazeMigrationStackProps {
  /**
   * The workspace's REST endpoint: a URL or an instance name such as `US-03` or `EU-01`. It is
   * written into every manifest; leave it out to take `BRAZE_REST_ENDPOINT` at apply time
   * (handy when the same stack is rehearsed against the emulator and applied to Braze).
   * @default - `BRAZE_REST_ENDPOINT` in the environment of `terraform apply`
   */
  readonly endpoint?: string;
  /**
   * The NAME of the environment variable that holds the REST API key at apply time. The key
   * itself never appears in the stack, the Terraform JSON or the state.
   * @default "BRAZE_API_KEY"
   */
  readonly apiKeyEnvVar?: string;
  /**
   * The Terraform resource each construct becomes. `terraform_data` is built into Terraform
   * 1.4 and later and needs no provider; `null_resource` needs the hashicorp/null provider,
   * which `terraform init` downloads.
   * @default "terraform_data"
   */
  readonly resourceKind?: ResourceKind;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A Terraform stack that declares one migration into one Braze workspace: its apps, Android
 * receiver settings and token import batches.
 *
 * @example
 * const app = new App();
 * const stack = new BrazeMigrationStack(app, "acme", { apiKeyEnvVar: "ACME_BRAZE_KEY" });
 * const ios = new BrazeApp(stack, "ios", { appId: "…", name: "Acme iOS", platform: "ios" });
 * new TokenImportBatch(stack, "ios-known-users", { app: ios, source: "stacks/data/ios.csv", mode: "identified" });
 * await synthMigrations(app);
 */
export class BrazeMigrationStack extends TerraformStack {
  /** True for a BrazeMigrationStack (works across copies of this package). */
  static isMigrationStack(x: unknown): x is BrazeMigrationStack {
    return x !== null && typeof x === "object" && MIGRATION_STACK in x;
  }

  /** The migration stack a construct belongs to; throws when it is in none. */
  static override of(construct: IConstruct): BrazeMigrationStack {
    for (let scope: IConstruct | undefined = construct; scope; scope = scope.node.scope) {
      if (BrazeMigrationStack.isMigrationStack(scope)) return scope;
    }
    throw new MigrationError(
      "NOT_IN_MIGRATION_STACK",
      construct.node.path,
      "this construct must be declared inside a BrazeMigrationStack: create it with the stack " +
        "(or a construct below it) as its scope",
    );
  }

  readonly endpoint: string | undefined;
  readonly apiKeyEnvVar: string;
  readonly resourceKind: ResourceKind;
  /** Set by `prepareMigrations` once every token file was read and checked. */
  prepared = false;

  constructor(scope: Construct, id: string, props: BrazeMigrationStackProps = {}) {
    super(scope, id);
    Object.defineProperty(this, MIGRATION_STACK, { value: true });

    if (props.endpoint !== undefined) {
      try {
        resolveEndpoint(props.endpoint, "endpoint");
      } catch (err) {
        throw new MigrationError("INVALID_PROPERTY", this.node.path, (err as Error).message);
      }
    }
    const apiKeyEnvVar = props.apiKeyEnvVar ?? BRAZE_API_KEY_ENV;
    if (!ENV_NAME.test(apiKeyEnvVar)) {
      throw new MigrationError(
        "INVALID_PROPERTY",
        this.node.path,
        `apiKeyEnvVar must be the name of an environment variable, got "${apiKeyEnvVar}": ` +
          "give the variable's name (e.g. BRAZE_API_KEY), never the key itself",
      );
    }
    const kind = props.resourceKind ?? "terraform_data";
    if (kind !== "terraform_data" && kind !== "null_resource") {
      throw new MigrationError(
        "INVALID_PROPERTY",
        this.node.path,
        `resourceKind must be terraform_data or null_resource, got "${String(kind)}"`,
      );
    }
    this.endpoint = props.endpoint;
    this.apiKeyEnvVar = apiKeyEnvVar;
    this.resourceKind = kind;
    // terraform_data arrived in Terraform 1.4 (its changelog)
    this.addOverride("terraform.required_version", `>= ${MIN_TERRAFORM_VERSION}`);

    // synth without reading the token files would write batches without resources
    this.node.addValidation({
      validate: () =>
        this.prepared
          ? []
          : [
              `[${this.node.path}] the token files of this stack were not read: call ` +
                "`await prepareMigrations(app)` (or `await synthMigrations(app)`) before app.synth()",
            ],
    });
  }
}

const MIGRATION_STACK = Symbol.for("braze-push-migrate.BrazeMigrationStack");
