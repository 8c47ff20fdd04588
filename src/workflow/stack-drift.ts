/**
 * The drift check of a project's stack: the batches Terraform applied, read from the state, each
 * token checked against Braze with the drift engine.
 */
import { relative, resolve } from "node:path";
import { checkDrift, type DeclaredBatch, type DriftReport } from "../drift";
import { defaultLedgerPath } from "../engine/import";
import { sourceOptions } from "../handlers/batch-handler";
import { endpointOf, processContext } from "../handlers/handler-context";
import { OPERATOR_ENV } from "../manifest/constants";
import type { Manifest } from "../manifest/manifest";
import { appliedManifests, type WorkflowOptions } from "./workflow";

// the segment holding every user in the emulator, unless its config names another
export const EMULATOR_ALL_USERS = "all-users";

type BatchManifest = Extract<Manifest, { kind: "token-import-batch" }>;

/** What a stack's drift check takes beyond the workflow's options. */
export interface StackDriftOptions extends WorkflowOptions {
  /** A segment holding every user; @default - `all-users` against the emulator, else none */
  readonly segmentId?: string;
  /** Anonymous batches up to this size are read by device_id when no segment is given. */
  readonly deviceIdThreshold?: number;
}

/**
 * Checks the applied batches of a stack. The workspace is the one of the stack's first
 * resource (its endpoint, else BRAZE_REST_ENDPOINT, and its key variable).
 *
 * @throws WorkflowError when synth or terraform fail; Error when nothing was applied
 */
export async function checkStackDrift(options: StackDriftOptions): Promise<DriftReport> {
  const applied = await appliedManifests(options);
  const manifests = applied.manifests.filter(
    (m): m is BatchManifest => m.kind === "token-import-batch",
  );
  const first = applied.manifests[0];
  if (first === undefined) {
    throw new Error(
      `stack ${applied.stack.name} has nothing applied: run braze-push-migrate apply first`,
    );
  }
  if (manifests.length === 0) {
    options.log(`stack ${applied.stack.name} has no applied token import batch`);
  }

  const ledgerDir =
    process.env[OPERATOR_ENV.ledgerDir] ?? resolve(options.cwd, ".braze-push-migrate", "ledgers");
  const batches: DeclaredBatch[] = manifests.map((m) => {
    // the manifest's file is relative to the stack's directory, where terraform ran
    const file = relative(options.cwd, resolve(applied.stack.dir, m.file));
    const source = sourceOptions(m, file);
    return {
      id: m.construct_path,
      appId: m.app_id,
      appName: m.app_name,
      platform: m.platform,
      mode: m.mode,
      source,
      digest: m.digest,
      tokens: m.counts.valid,
      ledgerPath: defaultLedgerPath({ appId: m.app_id, ledgerDir, source }, m.digest),
    };
  });

  const context = processContext(process.env, options.log);
  let segmentId = options.segmentId;
  if (
    segmentId === undefined &&
    (await context.emulator.isEmulator(endpointOf(first, process.env)))
  ) {
    segmentId = EMULATOR_ALL_USERS;
    options.log(`the endpoint is the local emulator: segment ${segmentId} holds every user`);
  }
  const client = context.client(first);
  try {
    return await checkDrift(client, batches, {
      segmentId,
      deviceIdThreshold: options.deviceIdThreshold,
    });
  } finally {
    await client.close();
  }
}
