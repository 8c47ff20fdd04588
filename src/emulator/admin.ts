import { z } from "zod";
import { PERMISSIONS, PLATFORMS } from "./config";
import type { FaultInjector } from "./faults";
import type { Store } from "./store";

/** Path prefix of the admin API. */
export const ADMIN_PREFIX = "/_emulator";

interface AdminAnswer {
  readonly status: number;
  readonly body: unknown;
}

const appInput = z
  .object({
    appId: z.string().min(1),
    name: z.string().min(1),
    platform: z.enum(PLATFORMS),
    flatten: z.boolean().optional(),
  })
  .strict();
const keyInput = z
  .object({
    key: z.string().min(1),
    permissions: z.union([z.literal("*"), z.array(z.enum(PERMISSIONS))]),
  })
  .strict();
const sdkSessionInput = z
  .object({
    app_id: z.string().min(1),
    token: z.string().min(1),
    external_id: z.string().min(1).optional(),
    device_id: z.string().min(1).optional(),
  })
  .strict();
const tokenInput = z.object({ app_id: z.string().min(1), token: z.string().min(1) }).strict();
const flattenInput = z.object({ flatten: z.boolean() }).strict();
const resetInput = z.object({ config: z.boolean().optional() }).strict();

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The emulator's admin API: what a test or a rehearsal drives and Braze or the users' devices
 * do by themselves. No Braze key is needed; only loopback clients are answered.
 *
 * | method and path | does |
 * | --- | --- |
 * | POST /_emulator/reset `{config?}` | deletes every profile, token, outbox and log entry, export job and fault rule added since start, and starts rate-limit windows afresh; with `config: true` also apps and keys added since start |
 * | GET /_emulator/stats | counts of users, temporary profiles, tokens, events, purchases, outbox |
 * | GET, POST /_emulator/apps | lists or adds an app `{appId, name, platform, flatten?}` |
 * | POST /_emulator/apps/:appId/flatten `{flatten}` | switches flattening of an Android app |
 * | POST /_emulator/keys `{key, permissions}` | adds a key (`"*"` or a list of permissions) |
 * | POST /_emulator/sdk-session `{app_id, token, external_id?, device_id?}` | the Braze SDK registers a token |
 * | POST /_emulator/uninstall `{app_id, token}` | the app is uninstalled: the token is removed |
 * | POST /_emulator/monthly-cleanup | temporary profiles without a token are deleted |
 * | GET /_emulator/tokens?app_id=&token= | which profile holds a token |
 * | GET /_emulator/outbox?dispatch_id=&limit= | rendered pushes |
 * | GET /_emulator/requests?limit= | the request log, newest first |
 * | GET, POST, DELETE /_emulator/faults | lists, adds or clears fault rules |
 */
export class AdminApi {
  constructor(
    private readonly store: Store,
    private readonly faults: FaultInjector,
    /** Resets what lives outside the store: rate-limit windows, fault rules, export jobs. */
    private readonly onReset: (full: boolean) => void,
  ) {}

  handle(method: string, path: string, query: URLSearchParams, raw: Buffer | symbol): AdminAnswer {
    try {
      const body = parseBody(raw);
      return {
        status: 200,
        body: this.route(method, path.slice(ADMIN_PREFIX.length), query, body),
      };
    } catch (err) {
      if (err instanceof AdminError) return { status: err.status, body: { message: err.message } };
      if (err instanceof z.ZodError) {
        const issues = err.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
        return { status: 400, body: { message: "invalid admin request", errors: issues } };
      }
      throw err;
    }
  }

  private route(method: string, path: string, query: URLSearchParams, body: unknown): unknown {
    const store = this.store;
    const flatten = /^\/apps\/([^/]+)\/flatten$/.exec(path);
    if (flatten && method === "POST") {
      const appId = decodeURIComponent(flatten[1]);
      const app = store.app(appId);
      if (app === undefined) throw new AdminError(404, `no app with app_id "${appId}"`);
      if (app.platform !== "android") {
        throw new AdminError(
          400,
          `app "${app.name}" is ${app.platform}: only Android apps flatten`,
        );
      }
      store.setFlatten(appId, flattenInput.parse(body).flatten);
      return store.app(appId);
    }

    switch (`${method} ${path}`) {
      case "POST /reset": {
        const full = resetInput.parse(body ?? {}).config === true;
        store.transaction(() => {
          store.resetData();
          if (full) store.resetConfig();
        });
        this.onReset(full);
        return { reset: true, config: full };
      }
      case "GET /stats":
        return store.stats();
      case "GET /apps":
        return { apps: store.apps() };
      case "POST /apps": {
        const app = appInput.parse(body);
        store.upsertApp(app);
        return store.app(app.appId);
      }
      case "POST /keys": {
        const input = keyInput.parse(body);
        store.upsertKey(input.key, input.permissions);
        return { added: true, permissions: input.permissions };
      }
      case "POST /sdk-session":
        return this.sdkSession(sdkSessionInput.parse(body));
      case "POST /uninstall": {
        const input = tokenInput.parse(body);
        return { removed: store.deleteToken(input.app_id, input.token) };
      }
      case "POST /monthly-cleanup":
        return { deleted: store.cleanupTemporaryProfiles() };
      case "GET /tokens": {
        const input = tokenInput.parse({
          app_id: query.get("app_id") ?? "",
          token: query.get("token") ?? "",
        });
        const row = store.token(input.app_id, input.token);
        if (row === undefined) return { held: false };
        const user = store.user(row.user_id)!;
        return {
          held: true,
          braze_id: store.brazeId(user.id),
          external_id: user.external_id,
          temporary: user.temporary === 1,
          device_id: row.device_id,
        };
      }
      case "GET /outbox": {
        const rows = store.outbox({
          dispatchId: query.get("dispatch_id") ?? undefined,
          limit: readLimit(query),
        });
        return { messages: rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) })) };
      }
      case "GET /requests":
        return { requests: store.requestLog(readLimit(query)) };
      case "GET /faults":
        return { faults: this.faults.list() };
      case "POST /faults":
        return this.faults.add(body as never);
      case "DELETE /faults":
        this.faults.clear();
        return { cleared: true };
      default:
        throw new AdminError(404, `no admin endpoint ${method} ${ADMIN_PREFIX}${path}`);
    }
  }

  /**
   * The Braze SDK registers a token on a device: the token moves onto the SDK's profile (the
   * external_id's, created if absent, or a new anonymous one), and the temporary profile that
   * held it from an import is cleaned up (push_token_migration.md).
   */
  private sdkSession(input: z.infer<typeof sdkSessionInput>): unknown {
    const store = this.store;
    const app = store.app(input.app_id);
    if (app === undefined) throw new AdminError(404, `no app with app_id "${input.app_id}"`);

    return store.transaction(() => {
      let user =
        input.external_id === undefined ? undefined : store.userByExternalId(input.external_id);
      if (user === undefined) {
        user = store.user(store.createUser({ externalId: input.external_id ?? null }))!;
      }
      const previous = store.setToken(input.app_id, input.token, user.id, input.device_id);
      store.recordSession(user.id, input.app_id);

      let temporaryProfileDeleted = false;
      if (previous !== undefined) {
        const holder = store.user(previous);
        if (holder?.temporary === 1 && store.tokenCount(previous) === 0) {
          store.deleteUser(previous);
          temporaryProfileDeleted = true;
        }
      }
      return {
        braze_id: store.brazeId(user.id),
        external_id: user.external_id,
        previous_braze_id: previous === undefined ? null : store.brazeId(previous),
        temporary_profile_deleted: temporaryProfileDeleted,
      };
    });
  }
}

function parseBody(raw: Buffer | symbol): unknown {
  if (typeof raw === "symbol") throw new AdminError(413, "the body is too large");
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new AdminError(400, "the body is not valid JSON");
  }
}

function readLimit(query: URLSearchParams): number {
  const limit = Number(query.get("limit") ?? 100);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new AdminError(400, `limit must be a positive whole number, got "${query.get("limit")}"`);
  }
  return limit;
}
