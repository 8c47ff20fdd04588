import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrazeClient } from "../../src/client/braze-client";
import { checkDrift } from "../../src/drift/check-drift";
import type { DeclaredBatch, DriftOptions, DriftReport } from "../../src/drift/types";
import { runImport } from "../../src/engine/import";
import { validateTokenFile } from "../../src/tokens/token-source";
import type { ImportMode, Platform } from "../../src/tokens/types";
import { FAST_RETRY } from "../client/client-helpers";
import { APP, KEY } from "../helpers";

/** Names of the emulator's default apps, as exports name them. */
export const APP_NAME = { ios: "Emulated iOS", android: "Emulated Android" };

/** Emulator config for drift tests: exports ready at once. */
export const DRIFT_EMULATOR = { config: { limits: { segmentExportReadyDelayMs: 0 } } };

/** Download settings that poll fast. */
export const FAST_DOWNLOAD = { pollIntervalMs: 20, maxWaitMs: 10_000 };

/** A scratch folder per test, and a client of the emulator. */
export class DriftFixture {
  readonly dir = mkdtempSync(join(tmpdir(), "drift-test-"));
  readonly client: BrazeClient;

  constructor(readonly url: string) {
    this.client = new BrazeClient({ endpoint: url, apiKey: KEY, retry: FAST_RETRY });
  }

  /** Writes a CSV token file with a header row. */
  file(name: string, header: string, rows: readonly string[]): string {
    const path = join(this.dir, name);
    writeFileSync(path, [header, ...rows].join("\n") + "\n");
    return path;
  }

  /** A batch declared with the file's digest as it reads now. */
  async declare(
    id: string,
    platform: Platform,
    mode: ImportMode,
    file: string,
    extra: Partial<DeclaredBatch> = {},
  ): Promise<DeclaredBatch> {
    const report = await validateTokenFile({ file, platform, mode });
    return {
      id,
      appId: APP[platform],
      appName: APP_NAME[platform],
      platform,
      mode,
      source: { file },
      digest: report.digest,
      ...extra,
    };
  }

  /** Imports a declared batch with the import engine, writing its ledger; returns the batch with it. */
  async apply(batch: DeclaredBatch): Promise<DeclaredBatch> {
    const ledgerPath = join(this.dir, `${batch.id.replace(/\W/g, "-")}.ledger.sqlite`);
    const report = await runImport({
      source: { ...batch.source, platform: batch.platform, mode: batch.mode },
      appId: batch.appId,
      ledgerPath,
      client: this.client,
    });
    if (!report.complete) throw new Error(`import of ${batch.id} did not complete`);
    return { ...batch, ledgerPath };
  }

  /** checkDrift with fast polling. */
  check(batches: readonly DeclaredBatch[], options: DriftOptions = {}): Promise<DriftReport> {
    return checkDrift(this.client, batches, {
      segmentId: "all-users",
      segmentDownload: FAST_DOWNLOAD,
      tempDir: this.dir,
      ...options,
    });
  }

  async close(): Promise<void> {
    await this.client.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The state of each drifted token of a batch, by line. */
export function statesByLine(report: DriftReport, id: string): Record<number, string> {
  const batch = report.batches.find((b) => b.id === id);
  if (batch === undefined) throw new Error(`no batch ${id} in the report`);
  return Object.fromEntries(batch.drifted.map((t) => [t.line, t.state]));
}
