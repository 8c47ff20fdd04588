import { isAbsolute, basename, relative, resolve } from "node:path";
import { AssetType, TerraformAsset, type TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { HANDLER_ENV } from "../manifest/constants";
import { MANIFEST_VERSION, type BatchManifest } from "../manifest/manifest";
import type {
  ColumnMapping,
  ImportMode,
  TokenFileFormat,
  TokenPreset,
  TokenReport,
  TokenSourceOptions,
} from "../tokens/types";
import { stackOfAppUser, type BrazeApp } from "./braze-app";
import { BrazeMigrationStack } from "./braze-migration-stack";
import { MigrationError } from "./errors";
import { createMigrationResource } from "./migration-resource";

/** A token file and how it becomes Braze users. */
export interface TokenImportBatchProps {
  /** The app the tokens belong to: an ios or android BrazeApp of the same stack. */
  readonly app: BrazeApp;
  /**
   * The token file: CSV with a header row, NDJSON or JSON, gzip or not. A relative path is
   * read from the directory synth runs in (the project root, beside cdktf.json).
   */
  readonly source: string;
  /**
   * `identified`: every row names an external_id and the token lands on that user;
   * `anonymous`: rows carry no external_id and go with `push_token_import: true`.
   */
  readonly mode: ImportMode;
  /**
   * The file's export layout.
   * @default "plain"
   */
  readonly preset?: TokenPreset;
  /**
   * The file's encoding.
   * @default - detected from the content
   */
  readonly format?: TokenFileFormat;
  /**
   * Which column holds each Braze field, and custom attributes to send.
   * @default - the preset's column names
   */
  readonly columns?: ColumnMapping;
  /**
   * Accept 22-character Firebase Installation IDs (with a warning).
   * @default false
   */
  readonly acceptInstallationIds?: boolean;
}

/**
 * One token file imported into one Braze app. It synthesises to one resource whose properties
 * are a manifest (the file copied as a Terraform asset, its content digest, counts, app, mode,
 * columns): never a token. A changed file changes the digest and replaces the resource, which
 * imports the new file; destroying it leaves the tokens in Braze.
 *
 * The file is read by `prepareMigrations` (asynchronous, before `app.synth()`); the resource
 * exists from then on.
 *
 * @example
 * new TokenImportBatch(stack, "android-anonymous", {
 *   app: android,
 *   source: "stacks/data/android.ndjson",
 *   mode: "anonymous",
 *   columns: { token: "registration_id", deviceId: "installation" },
 * });
 */
export class TokenImportBatch extends Construct {
  readonly app: BrazeApp;
  readonly mode: ImportMode;
  /** The source as declared. */
  readonly source: string;
  /** The token source options synth reads the file with. */
  readonly sourceOptions: TokenSourceOptions;
  private resourceValue: TerraformResource | undefined;
  private reportValue: TokenReport | undefined;

  constructor(scope: Construct, id: string, props: TokenImportBatchProps) {
    super(scope, id);
    const path = this.node.path;
    const { app } = props;
    stackOfAppUser(this, app);
    if (app.platform === "web") {
      throw new MigrationError(
        "WEB_APP_TOKENS",
        path,
        `app ${app.node.path} is a web app: Braze cannot import web push tokens through its ` +
          "API (push_token_migration.md); integrate the Braze Web SDK, which registers them " +
          "when users come back, and drop this batch",
      );
    }
    if (props.mode !== "identified" && props.mode !== "anonymous") {
      throw new MigrationError(
        "INVALID_PROPERTY",
        path,
        `mode must be identified or anonymous, got "${String(props.mode)}"`,
      );
    }
    if (typeof props.source !== "string" || props.source.trim() === "") {
      throw new MigrationError("INVALID_PROPERTY", path, "source must be the token file's path");
    }
    this.app = app;
    this.mode = props.mode;
    this.source = props.source;
    this.sourceOptions = {
      file: props.source,
      platform: app.platform,
      mode: props.mode,
      preset: props.preset ?? "plain",
      format: props.format,
      columns: props.columns,
      acceptInstallationIds: props.acceptInstallationIds === true,
    };
  }

  /** The batch's resource; throws before `prepareMigrations` has read the file. */
  get resource(): TerraformResource {
    if (this.resourceValue === undefined) {
      throw new MigrationError(
        "BATCH_NOT_PREPARED",
        this.node.path,
        "the token file has not been read yet: await prepareMigrations(app) first",
      );
    }
    return this.resourceValue;
  }

  /** The validation report of the file, once read. */
  get report(): TokenReport | undefined {
    return this.reportValue;
  }

  /**
   * Creates the asset and the resource from the report of a clean read. Called once by
   * `prepareMigrations`.
   * @internal
   */
  _attach(report: TokenReport, rateShare: number): void {
    if (this.resourceValue !== undefined) return;
    const stack = BrazeMigrationStack.of(this);
    const hex = report.digest.replace(/^sha256:/, "");

    // the content digest names the copy, so synth does not read the file a second time to
    // hash it (cdktf hashes assets by reading them whole into memory)
    const asset = new TerraformAsset(this, "File", {
      path: resolve(this.source),
      type: AssetType.FILE,
      assetHash: hex.slice(0, 32),
    });
    const columns: Record<string, string> = {};
    for (const [field, column] of Object.entries(this.sourceOptions.columns ?? {})) {
      if (field !== "customAttributes" && typeof column === "string") columns[field] = column;
    }
    const manifest: BatchManifest = {
      kind: "token-import-batch",
      version: MANIFEST_VERSION,
      construct_path: this.node.path,
      ...(stack.endpoint === undefined ? {} : { endpoint: stack.endpoint }),
      api_key_env: stack.apiKeyEnvVar,
      app_id: this.app.appId,
      app_path: this.app.node.path,
      app_name: this.app.name,
      platform: this.sourceOptions.platform,
      mode: this.mode,
      // no absolute path of this machine goes into the Terraform JSON
      source: isAbsolute(this.source) ? basename(this.source) : relative(".", this.source),
      file: asset.path,
      digest: report.digest,
      preset: report.preset,
      format: report.format,
      columns,
      attributes: { ...(this.sourceOptions.columns?.customAttributes ?? {}) },
      accept_installation_ids: this.sourceOptions.acceptInstallationIds === true,
      counts: {
        rows_read: report.counts.rowsRead,
        valid: report.counts.valid,
        rejected: report.counts.rejected,
        duplicates: report.counts.duplicates,
        skipped: report.counts.skipped,
        warnings: report.counts.warnings,
      },
    };
    this.reportValue = report;
    this.resourceValue = createMigrationResource(this, {
      kind: stack.resourceKind,
      manifest,
      replaceOn: { app_id: this.app.appId, mode: this.mode, digest: report.digest },
      createEnv: { [HANDLER_ENV.rateShare]: String(rateShare) },
      dependsOn: [this.app.resource],
    });
  }
}
