/**
 * The drift check of a project's stack: the batches Terraform applied, read from the state, each
 * token checked against Braze with the drift engine.
 */
import { relative, resolve } from "node:path";
import { resolveEndpoint } from "../client/endpoint";
import {
  checkDrift,
  DRIFT_EXIT_ACTION,
  driftExitCode,
  type DeclaredBatch,
  type DriftReport,
} from "../drift";
import { defaultLedgerPath } from "../engine/import";
import { sourceOptions } from "../handlers/batch-handler";
import { endpointOf, processContext } from "../handlers/handler-context";
import { receiverSettingOf } from "../handlers/receiver-settings-handler";
import { OPERATOR_ENV } from "../manifest/constants";
import type { Manifest } from "../manifest/manifest";
import {
  checkReceiverSetting,
  type ReceiverApplyTarget,
  type ReceiverSettingStatus,
} from "../push/receivers";
import { appliedManifests, type WorkflowOptions } from "./workflow";

// the segment holding every user in the emulator, unless its config names another
export const EMULATOR_ALL_USERS = "all-users";

type BatchManifest = Extract<Manifest, { kind: "token-import-batch" }>;

/** A receiver setting of the stack, and where it stands now. */
export interface ReceiverDrift {
  readonly id: string;
  readonly status: ReceiverSettingStatus;
}

/** The drift of a stack: its batches' tokens, and its Android receiver settings. */
export interface StackDriftReport extends DriftReport {
  /**
   * Each applied receiver setting: `applied` or `not_applied` on the emulator; on real Braze,
   * which cannot be read, `pending_confirmation` (with the request text) or `not_checkable`.
   */
  readonly receiverSettings: readonly ReceiverDrift[];
}

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
export async function checkStackDrift(options: StackDriftOptions): Promise<StackDriftReport> {
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
    const file = relative(process.cwd(), resolve(applied.stack.dir, m.file));
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
  const endpoint = endpointOf(first, process.env);
  const emulator = await context.emulator.isEmulator(endpoint);
  let segmentId = options.segmentId;
  if (segmentId === undefined && emulator) {
    segmentId = EMULATOR_ALL_USERS;
    options.log(`the endpoint is the local emulator: segment ${segmentId} holds every user`);
  }
  const target: ReceiverApplyTarget = emulator
    ? { kind: "emulator", url: resolveEndpoint(endpoint) }
    : { kind: "braze" };
  const receiverSettings: ReceiverDrift[] = [];
  for (const m of applied.manifests) {
    if (m.kind !== "android-receiver-settings") continue;
    const status = await checkReceiverSetting(receiverSettingOf(m), target, {
      appName: m.app_name,
    });
    receiverSettings.push({ id: m.construct_path, status });
  }

  const client = context.client(first);
  try {
    const report = await checkDrift(client, batches, {
      segmentId,
      deviceIdThreshold: options.deviceIdThreshold,
    });
    return { ...report, receiverSettings };
  } finally {
    await client.close();
  }
}

/** Drift's exit code, a receiver setting the emulator does not hold as declared included. */
export function stackDriftExitCode(report: StackDriftReport): number {
  if (report.receiverSettings.some((r) => r.status.state === "not_applied")) {
    return DRIFT_EXIT_ACTION;
  }
  return driftExitCode(report);
}
