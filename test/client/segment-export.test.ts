import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APP, apnsToken, useEmulator } from "../helpers";
import { clientFor, closeClients, fault, rejectionOf } from "./client-helpers";

const USERS = 53;

describe("BrazeClient segment export", () => {
  const emulator = useEmulator({
    config: { limits: { segmentExportReadyDelayMs: 300, segmentExportUsersPerFile: 10 } },
  });
  const tempDir = mkdtempSync(join(tmpdir(), "client-segment-test-"));
  afterAll(async () => {
    await closeClients();
    rmSync(tempDir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    // GIVEN 53 users, so the export holds six files of at most ten users
    const client = clientFor(emulator.current.url);
    for (let i = 0; i < USERS; i += 25) {
      const attributes = Array.from({ length: Math.min(25, USERS - i) }, (_, k) => ({
        external_id: `seg-${i + k}`,
        push_tokens: [{ app_id: APP.ios, token: apnsToken(i + k) }],
      }));
      await client.track({ attributes }, { idempotent: false });
    }
  });

  it("waits until the export is ready and streams every user exactly once", async () => {
    const client = clientFor(emulator.current.url);
    const started = Date.now();
    const seen = new Map<string, number>();

    for await (const user of client.exportSegment(
      { segmentId: "all-users", fieldsToExport: ["external_id", "push_tokens"] },
      { pollIntervalMs: 50, tempDir },
    )) {
      seen.set(user.external_id!, (seen.get(user.external_id!) ?? 0) + 1);
      expect(user.push_tokens?.[0]?.token).toBe(apnsToken(Number(user.external_id!.slice(4))));
    }

    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(seen.size).toBe(USERS);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    // the temporary archive is gone
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("removes the temporary archive when the reader stops early", async () => {
    const client = clientFor(emulator.current.url);
    let read = 0;
    for await (const user of client.exportSegment(
      { segmentId: "all-users", fieldsToExport: ["external_id"] },
      { pollIntervalMs: 50, tempDir },
    )) {
      expect(user.external_id).toMatch(/^seg-/);
      read += 1;
      if (read === 15) break;
    }
    expect(read).toBe(15);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("fails with BRAZE_SERVER when the export is not ready within maxWaitMs", async () => {
    const client = clientFor(emulator.current.url);
    const users = client.exportSegment(
      { segmentId: "all-users", fieldsToExport: ["external_id"] },
      { pollIntervalMs: 20, maxWaitMs: 60, tempDir },
    );
    const err = await rejectionOf(users.next());
    expect(err.code).toBe("BRAZE_SERVER");
    expect(err.message).toMatch(
      /^the segment export http:\/\/127\.0\.0\.1:\d+\/segment-exports\/all-users-[0-9a-f]+\.zip was not ready within maxWaitMs=60/,
    );
    // let the running export finish before the next test starts one
    await new Promise((resolve) => setTimeout(resolve, 400));
  });

  it("retries the start of an export after a 503", async () => {
    await fault(emulator.current.url, {
      endpoint: "/users/export/segment",
      kind: "status",
      status: 503,
      count: 2,
    });
    const client = clientFor(emulator.current.url);
    let count = 0;
    for await (const user of client.exportSegment(
      { segmentId: "all-users", fieldsToExport: ["external_id"] },
      { pollIntervalMs: 50, tempDir },
    )) {
      if (user.external_id !== undefined) count += 1;
    }
    expect(count).toBe(USERS);
    expect(client.stats.retries).toBe(2);
  });
});
