import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { AdminApi, ADMIN_PREFIX } from "./admin";
import {
  DEFAULT_API_KEY,
  DEFAULT_APPS,
  resolveConfig,
  type EmulatorConfig,
  type EmulatorConfigInput,
  type Permission,
} from "./config";
import { FaultInjector, type ActiveFault } from "./faults";
import { FixedWindowLimiter } from "./rate-limiter";
import { messagesSendRoute } from "./routes/messages-send";
import type { BrazeRoute, RateGroup, RouteResult } from "./routes/route";
import { usersDeleteRoute, usersIdentifyRoute } from "./routes/users-delete-identify";
import { usersExportIdsRoute } from "./routes/users-export-ids";
import { usersTrackRoute } from "./routes/users-track";
import { EXPORT_DOWNLOAD_PREFIX, SegmentExports } from "./segment-export";
import { hashApiKey, Store } from "./store";

/** Options of `startEmulator`. */
export interface EmulatorOptions {
  /**
   * Port to listen on.
   * @default 0 - a free port chosen by the system
   */
  readonly port?: number;
  /**
   * Address to listen on.
   * @default "127.0.0.1"
   */
  readonly host?: string;
  /**
   * SQLite file holding the workspace's state across restarts.
   * @default ":memory:" - state is lost when the emulator stops
   */
  readonly dataFile?: string;
  /**
   * The config: limits, keys, apps, latency, faults. Validated; see the README.
   * @default {} - every documented default, the key `local-dev-key` and one app per platform
   */
  readonly config?: EmulatorConfigInput | EmulatorConfig;
  /** Random source for latency jitter and fault shares (tests make it deterministic). */
  readonly random?: () => number;
}

/** A running emulator. */
export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:43211`. */
  readonly url: string;
  /** Notes on defaults filled in at start (no keys or no apps configured). */
  readonly notes: readonly string[];
  /** The workspace state (for in-process tests and tools). */
  readonly store: Store;
  /** Stops accepting requests, ends open connections and closes the database. */
  close(): Promise<void>;
}

const BRAZE_ROUTES: Record<string, BrazeRoute> = {
  "/users/track": usersTrackRoute,
  "/users/export/ids": usersExportIdsRoute,
  "/users/delete": usersDeleteRoute,
  "/users/identify": usersIdentifyRoute,
  "/messages/send": messagesSendRoute,
};

/**
 * Starts a local stand-in for one Braze workspace: the REST endpoints this project uses, with
 * Braze's documented semantics, limits, errors and rate-limit headers, state in SQLite, and an
 * admin API under `/_emulator/` for what Braze and the users' devices do by themselves.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const config = resolveConfig(options.config ?? {}, "the emulator config passed to startEmulator");
  const store = new Store(options.dataFile ?? ":memory:");
  const notes = seed(store, config);
  const emulator = new Emulator(store, config, options.random ?? Math.random);

  const server = createServer((req, res) => emulator.handle(req, res));
  server.keepAliveTimeout = 65_000;
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  emulator.baseUrl = url;

  return {
    url,
    notes,
    store,
    close: () => closeAll(server, sockets, emulator, store),
  };
}

async function closeAll(
  server: Server,
  sockets: Set<Socket>,
  emulator: Emulator,
  store: Store,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) socket.destroy();
  await closed;
  emulator.close();
  store.close();
}

/**
 * Writes the config's apps and keys into the store; when neither the config nor the data file
 * holds any, serves the defaults and says so.
 */
function seed(store: Store, config: EmulatorConfig): string[] {
  const notes: string[] = [];
  store.transaction(() => {
    for (const app of config.apps) store.upsertApp(app);
    for (const [key, permissions] of Object.entries(config.apiKeys)) {
      store.upsertKey(key, permissions);
    }
    if (store.keyCount() === 0) {
      store.upsertKey(DEFAULT_API_KEY, "*");
      notes.push(`no API keys configured: serving "${DEFAULT_API_KEY}" with every permission`);
    }
    if (store.apps().length === 0) {
      for (const app of DEFAULT_APPS) store.upsertApp(app);
      const list = DEFAULT_APPS.map((a) => `${a.name} (${a.platform}, ${a.appId})`);
      notes.push(`no apps configured: serving ${list.join(", ")}`);
    }
  });
  return notes;
}

/** Request handling: routing, auth, faults, rate limits, latency and the request log. */
class Emulator {
  baseUrl = "";
  readonly faults: FaultInjector;
  private limiters: Record<RateGroup, FixedWindowLimiter>;
  private readonly exports: SegmentExports;
  private readonly admin: AdminApi;
  private readonly routes: Record<string, BrazeRoute>;

  constructor(
    private readonly store: Store,
    private readonly config: EmulatorConfig,
    private readonly random: () => number,
  ) {
    this.faults = new FaultInjector(random);
    for (const rule of config.faults) this.faults.add(rule);
    this.limiters = newLimiters(config);
    this.exports = new SegmentExports(store, config);
    this.routes = { ...BRAZE_ROUTES, "/users/export/segment": this.exports.route };
    this.admin = new AdminApi(store, this.faults, (full) => this.reset(full));
  }

  // after the admin API reset the store: back to the state right after start
  private reset(full: boolean): void {
    if (full) seed(this.store, this.config);
    this.faults.clear();
    for (const rule of this.config.faults) this.faults.add(rule);
    this.limiters = newLimiters(this.config);
    this.exports.clear();
  }

  close(): void {
    this.exports.close();
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.dispatch(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        send(res, 500, { message: "Internal Server Error", errors: [String(err)] });
      }
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "http://emulator");
    const path = url.pathname.replace(/\/+$/, "") || "/";

    if (path.startsWith(ADMIN_PREFIX)) {
      if (!isLoopback(req.socket.remoteAddress)) {
        send(res, 403, { message: "the admin API answers loopback clients only" });
        return;
      }
      const body = await readBody(req, this.config.limits.maxBodyBytes);
      const answer = this.admin.handle(req.method ?? "GET", path, url.searchParams, body);
      send(res, answer.status, answer.body);
      return;
    }
    if (path.startsWith(EXPORT_DOWNLOAD_PREFIX) && req.method === "GET") {
      this.download(path, res);
      return;
    }

    const route = this.routes[path];
    if (route === undefined || req.method !== "POST") {
      req.resume();
      send(res, 404, { message: `no endpoint ${req.method ?? ""} ${path}` });
      return;
    }

    // every Braze endpoint: auth, then injected faults, then the rate limit, then the handler
    const raw = await readBody(req, this.config.limits.maxBodyBytes);
    const key = bearerKey(req.headers.authorization);
    const keyHash = key === undefined ? undefined : hashApiKey(key);
    const log = (status: number, extra: Partial<RouteResult> = {}, fault?: ActiveFault) =>
      this.store.logRequest(
        {
          at: started,
          method: "POST",
          path,
          status,
          duration_ms: Date.now() - started,
          objects: extra.objects ?? 0,
          // a fingerprint tells keys apart in the log without keeping anything usable
          key_fingerprint: keyHash?.slice(0, 12) ?? null,
          fault: fault ? faultLabel(fault) : null,
          errors: extra.errors ?? 0,
        },
        this.config.requestLogSize,
      );
    // every answer of a Braze endpoint waits out the configured latency, errors included
    const reply = async (
      status: number,
      body: unknown,
      headers: Record<string, string> = {},
      fault?: ActiveFault,
    ) => {
      await this.delay(0);
      send(res, status, body, headers);
      log(status, {}, fault);
    };

    const permissions = keyHash === undefined ? undefined : this.store.keyPermissions(keyHash);
    if (permissions === undefined) return reply(401, { message: "Invalid API Key" });
    if (!hasPermission(permissions, route.permission)) {
      return reply(403, { message: "Access Denied" });
    }

    let body: unknown;
    if (raw === TOO_LARGE) return reply(413, { message: "Request Entity Too Large" });
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString("utf8"));
    } catch {
      return reply(400, { message: "Bad Request", errors: ["the body is not valid JSON"] });
    }

    const limiter = this.limiters[route.rateGroup(body)];
    const fault = this.faults.match(path);
    if (fault?.kind === "status") {
      const headers = fault.status === 429 ? limiter.exhausted() : {};
      return reply(fault.status!, { message: statusMessage(fault.status!) }, headers, fault);
    }
    if (fault?.kind === "drop-before") {
      res.socket?.destroy();
      log(0, {}, fault);
      return;
    }

    const decision = limiter.take();
    if (!decision.allowed) {
      return reply(429, { message: "API Rate Limit Exceeded" }, decision.headers);
    }

    const result = await route.handle({
      store: this.store,
      config: this.config,
      body,
      // URLs handed out name the host the client reached, not the listen address (0.0.0.0)
      baseUrl: req.headers.host ? `http://${req.headers.host}` : this.baseUrl,
    });

    await this.delay(fault?.kind === "slow" ? (fault.delayMs ?? 0) : 0);
    if (fault?.kind === "drop-after") {
      res.socket?.destroy();
    } else if (fault?.kind === "malformed") {
      const text = JSON.stringify(result.body);
      res.writeHead(result.status, { "content-type": "application/json", ...decision.headers });
      res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    } else {
      send(res, result.status, result.body, decision.headers);
    }
    log(fault?.kind === "drop-after" ? 0 : result.status, result, fault);
  }

  // artificial latency of every Braze endpoint, plus the delay of a `slow` fault
  private delay(extraMs: number): Promise<void> {
    const { fixedMs, jitterMs } = this.config.latency;
    const ms = fixedMs + (jitterMs > 0 ? Math.floor(this.random() * jitterMs) : 0) + extraMs;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }

  // a segment export archive: 403 until ready and after expiry, like a pre-signed URL
  private download(path: string, res: ServerResponse): void {
    const name = path.slice(EXPORT_DOWNLOAD_PREFIX.length).replace(/\.zip$/, "");
    const job = this.exports.job(name);
    if (job === undefined) {
      send(res, 404, { message: "no such export" });
    } else if (job.failed !== undefined) {
      send(res, 500, { message: `the export failed: ${job.failed}` });
    } else if (job.readyAt === undefined) {
      send(res, 403, { message: "the export is not ready yet" });
    } else if (this.exports.expired(job)) {
      send(res, 403, { message: "the export has expired" });
    } else {
      res.writeHead(200, {
        "content-type": "application/zip",
        "content-length": String(this.exports.size(job)),
      });
      createReadStream(job.file).pipe(res);
    }
  }
}

function newLimiters(config: EmulatorConfig): Record<RateGroup, FixedWindowLimiter> {
  const { resetFormat, ...groups } = config.rateLimits;
  const limiters = Object.entries(groups).map(([name, limit]) => [
    name,
    new FixedWindowLimiter(limit, resetFormat),
  ]);
  return Object.fromEntries(limiters) as Record<RateGroup, FixedWindowLimiter>;
}

const TOO_LARGE = Symbol("too large");

/** Reads a request body up to `max` bytes; a larger one is drained and reported. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? TOO_LARGE : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function bearerKey(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

function hasPermission(permissions: "*" | Permission[], needed: Permission): boolean {
  return permissions === "*" || permissions.includes(needed);
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4.startsWith("127.") || address === "::1";
}

function statusMessage(status: number): string {
  switch (status) {
    case 429:
      return "API Rate Limit Exceeded";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Internal Server Error";
  }
}

function faultLabel(fault: ActiveFault): string {
  return fault.kind === "status" ? `status-${fault.status}` : fault.kind;
}
