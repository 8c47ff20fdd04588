import { request } from "undici";
import yauzl from "yauzl";
import { APP, apnsToken, fcmToken, post, useEmulator } from "../helpers";

const READY_DELAY_MS = 600;
const USERS = 30;
const PER_FILE = 7;

describe("POST /users/export/segment", () => {
  const emulator = useEmulator({
    config: {
      limits: {
        segmentExportUsersPerFile: PER_FILE,
        segmentExportReadyDelayMs: READY_DELAY_MS,
        segmentExportExpirySeconds: 1,
      },
    },
  });

  beforeAll(async () => {
    // GIVEN 30 users: even ones with an iOS token, odd ones with an Android token and an email
    const attributes = Array.from({ length: USERS }, (_, i) =>
      i % 2 === 0
        ? { external_id: `seg-${i}`, push_tokens: [{ app_id: APP.ios, token: apnsToken(i) }] }
        : {
            external_id: `seg-${i}`,
            email: `seg-${i}@example.com`,
            push_tokens: [{ app_id: APP.android, token: fcmToken(i) }],
          },
    );
    for (let i = 0; i < USERS; i += 15) {
      const track = await post(emulator.current.url, "/users/track", {
        attributes: attributes.slice(i, i + 15),
      });
      expect(track.status).toBe(201);
    }
  });

  it("answers success with an object_prefix and a download url under it", async () => {
    const started = await startExport(emulator.current.url, ["external_id"]);

    expect(started.status).toBe(201);
    expect(Object.keys(started.body).sort()).toEqual(["message", "object_prefix", "url"]);
    expect(started.body.message).toBe("success");
    expect(started.body.object_prefix).toMatch(/^all-users-[0-9a-f]{24}$/);
    expect(started.body.url).toBe(
      `${emulator.current.url}/segment-exports/${started.body.object_prefix}.zip`,
    );
    await waitUntilReady(started.body.url);
  });

  it("answers 403 until the export is ready, refuses a second export meanwhile, then serves the zip", async () => {
    const started = await startExport(emulator.current.url, ["external_id"]);
    const startedAt = Date.now();

    const early = await download(started.body.url);
    expect(early.status).toBe(403);
    expect(JSON.parse(early.body.toString("utf8"))).toEqual({
      message: "the export is not ready yet",
    });

    const second = await startExport(emulator.current.url, ["external_id"]);
    expect(second.status).toBe(429);
    expect(second.body).toEqual({
      message: 'an export of segment "all-users" is already running',
    });

    const ready = await waitUntilReady(started.body.url);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(READY_DELAY_MS - 50);
    expect(ready.headers["content-type"]).toBe("application/zip");
    expect(ready.headers["content-length"]).toBe(String(ready.body.length));

    // once the first export is ready, the segment may be exported again
    const third = await startExport(emulator.current.url, ["external_id"]);
    expect(third.status).toBe(201);
    await waitUntilReady(third.body.url);
  });

  it("splits the users into NDJSON files of at most segmentExportUsersPerFile users, each user once", async () => {
    const started = await startExport(emulator.current.url, ["external_id"]);
    const archive = await waitUntilReady(started.body.url);

    const files = await unzip(archive.body);
    const prefix = started.body.object_prefix as string;
    expect([...files.keys()]).toEqual([1, 2, 3, 4, 5].map((n) => `${prefix}/${n}.txt`));

    const perFile = [...files.values()].map((text) => ndjson(text).length);
    expect(perFile).toEqual([7, 7, 7, 7, 2]);
    for (const text of files.values()) expect(text.endsWith("\n")).toBe(true);

    const ids = [...files.values()].flatMap((text) => ndjson(text).map((u) => u.external_id));
    expect(ids).toHaveLength(USERS);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: USERS }, (_, i) => `seg-${i}`)));
  });

  it("writes only the fields named in fields_to_export, in the schema of /users/export/ids", async () => {
    const started = await startExport(emulator.current.url, [
      "external_id",
      "email",
      "push_tokens",
    ]);
    const archive = await waitUntilReady(started.body.url);
    const users = [...(await unzip(archive.body)).values()].flatMap(ndjson);

    const byId = new Map(users.map((u) => [u.external_id, u]));
    expect(byId.get("seg-0")).toEqual({
      external_id: "seg-0",
      push_tokens: [
        {
          app: "Emulated iOS",
          platform: "iOS",
          token: apnsToken(0),
          device_id: expect.any(String),
          notifications_enabled: true,
        },
      ],
    });
    expect(byId.get("seg-1")).toEqual({
      external_id: "seg-1",
      email: "seg-1@example.com",
      push_tokens: [
        {
          app: "Emulated Android",
          platform: "Android",
          token: fcmToken(1),
          device_id: expect.any(String),
          notifications_enabled: true,
        },
      ],
    });
    for (const user of users) {
      expect(
        Object.keys(user).every((k) => ["external_id", "email", "push_tokens"].includes(k)),
      ).toBe(true);
    }
  });

  it("answers 403 once the export has expired", async () => {
    const started = await startExport(emulator.current.url, ["braze_id"]);
    await waitUntilReady(started.body.url);

    // segmentExportExpirySeconds is 1
    await sleep(1100);
    const late = await download(started.body.url);
    expect(late.status).toBe(403);
    expect(JSON.parse(late.body.toString("utf8"))).toEqual({ message: "the export has expired" });
  });

  it("refuses a segment the workspace does not have with 400", async () => {
    const answer = await post(emulator.current.url, "/users/export/segment", {
      segment_id: "vip-users",
      fields_to_export: ["external_id"],
    });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      message:
        'segment_id "vip-users" is not a segment of this workspace; the emulator has one ' +
        'segment, "all-users", holding every user',
    });
  });

  it("refuses a request without segment_id or fields_to_export with 400", async () => {
    const noSegment = await post(emulator.current.url, "/users/export/segment", {
      fields_to_export: ["external_id"],
    });
    expect(noSegment.status).toBe(400);
    expect(noSegment.body).toEqual({ message: "'segment_id' is required and must be a string" });

    const noFields = await post(emulator.current.url, "/users/export/segment", {
      segment_id: "all-users",
    });
    expect(noFields.status).toBe(400);
    expect(noFields.body.message).toMatch(/^'fields_to_export' is required/);
  });

  it("answers 404 for an export url it never handed out", async () => {
    const answer = await download(`${emulator.current.url}/segment-exports/all-users-nope.zip`);

    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body.toString("utf8"))).toEqual({ message: "no such export" });
  });
});

describe("POST /users/export/segment with another allUsersSegmentId", () => {
  const emulator = useEmulator({
    config: { allUsersSegmentId: "everyone", limits: { segmentExportReadyDelayMs: 0 } },
  });

  it("exports the configured segment id and refuses the default one", async () => {
    const refused = await post(emulator.current.url, "/users/export/segment", {
      segment_id: "all-users",
      fields_to_export: ["external_id"],
    });
    expect(refused.status).toBe(400);

    const started = await startExport(emulator.current.url, ["external_id"], "everyone");
    expect(started.status).toBe(201);
    expect(started.body.object_prefix).toMatch(/^everyone-[0-9a-f]{24}$/);

    // an empty workspace gives an archive with no files
    const archive = await waitUntilReady(started.body.url);
    expect((await unzip(archive.body)).size).toBe(0);
  });
});

// --- helpers ------------------------------------------------------------------------------

function startExport(baseUrl: string, fields: string[], segmentId = "all-users") {
  return post(baseUrl, "/users/export/segment", {
    segment_id: segmentId,
    fields_to_export: fields,
  });
}

async function download(url: string) {
  const res = await request(url);
  return {
    status: res.statusCode,
    headers: res.headers,
    body: Buffer.from(await res.body.arrayBuffer()),
  };
}

// polls the download url until it stops answering 403
async function waitUntilReady(url: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await download(url);
    if (answer.status !== 403) {
      expect(answer.status).toBe(200);
      return answer;
    }
    if (Date.now() > deadline) throw new Error(`export at ${url} not ready after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function ndjson(text: string): Record<string, any>[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
}

// reads every entry of a zip archive, in archive order, as utf-8 text
function unzip(archive: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(archive, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error("no zip"));
      const files = new Map<string, string>();
      zip.on("entry", (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr || !stream) return reject(streamErr ?? new Error("no stream"));
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("end", () => {
            files.set(entry.fileName, Buffer.concat(chunks).toString("utf8"));
            zip.readEntry();
          });
          stream.on("error", reject);
        });
      });
      zip.on("end", () => resolve(files));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}
