import { createHash, randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import type { AppConfig, Permission, Platform } from "./config";
import { tokenHash } from "./token-hash";

/** A user profile row. */
export interface UserRow {
  readonly id: number;
  readonly external_id: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  /** 1 for a temporary profile created by `push_token_import`. */
  readonly temporary: number;
  /** Standard and custom attributes as a JSON object, or null when there are none. */
  readonly attributes: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

/** A push token row: one token of one app, held by exactly one profile. */
export interface TokenRow {
  readonly app_id: string;
  readonly token: string;
  readonly user_id: number;
  readonly device_id: string;
  readonly notifications_enabled: number;
  readonly created_at: number;
}

/** The sessions a profile logged in one app through the Braze SDK. */
export interface SessionRow {
  readonly app_id: string;
  readonly sessions: number;
  readonly first_used: number;
  readonly last_used: number;
}

/** A user alias. */
export interface AliasRow {
  readonly alias_name: string;
  readonly alias_label: string;
}

/** A rendered push kept in the outbox. */
export interface OutboxRow {
  readonly id: number;
  readonly dispatch_id: string;
  readonly external_id: string | null;
  readonly app_id: string;
  readonly platform: string;
  readonly token: string;
  readonly payload: string;
  readonly created_at: number;
}

/** One entry of the request log. The API key is never logged, only its fingerprint. */
export interface RequestLogRow {
  readonly id: number;
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly duration_ms: number;
  readonly objects: number;
  readonly key_fingerprint: string | null;
  readonly fault: string | null;
  readonly errors: number;
}

/** What the workspace holds, in numbers. */
export interface StoreStats {
  readonly users: number;
  readonly temporaryUsers: number;
  readonly tokens: number;
  readonly events: number;
  readonly purchases: number;
  readonly outbox: number;
}

// raise when SCHEMA changes in a way an older data file would not match
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (
  app_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  platform TEXT NOT NULL,
  flatten INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS api_keys (
  key_hash TEXT PRIMARY KEY,
  permissions TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY,
  external_id TEXT,
  email TEXT,
  phone TEXT,
  temporary INTEGER NOT NULL DEFAULT 0,
  attributes TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS users_external_id ON users(external_id)
  WHERE external_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS users_email ON users(email) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS users_phone ON users(phone) WHERE phone IS NOT NULL;
CREATE TABLE IF NOT EXISTS aliases (
  alias_label TEXT NOT NULL,
  alias_name TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  PRIMARY KEY (alias_label, alias_name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_user ON aliases(user_id);
CREATE TABLE IF NOT EXISTS tokens (
  id INTEGER PRIMARY KEY,
  hash INTEGER NOT NULL,
  app_id TEXT NOT NULL,
  token TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  device_id TEXT,
  notifications_enabled INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_hash ON tokens(hash);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens(user_id);
CREATE INDEX IF NOT EXISTS tokens_device ON tokens(device_id) WHERE device_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  user_id INTEGER NOT NULL,
  app_id TEXT NOT NULL,
  sessions INTEGER NOT NULL,
  first_used INTEGER NOT NULL,
  last_used INTEGER NOT NULL,
  PRIMARY KEY (user_id, app_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  dispatch_id TEXT NOT NULL,
  external_id TEXT,
  app_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  token TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS request_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  status INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  objects INTEGER NOT NULL,
  key_fingerprint TEXT,
  fault TEXT,
  errors INTEGER NOT NULL
);
`;

/** SHA-256 of an API key, hex: the only form in which the emulator keeps a key. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/**
 * The emulated workspace's state in SQLite: profiles, aliases, push tokens, apps, keys, the
 * outbox and the request log. A file keeps it across restarts; `:memory:` is the default.
 *
 * All methods are synchronous (better-sqlite3), so a request's changes apply atomically between
 * two turns of the event loop; `transaction()` groups them into one SQLite transaction.
 */
export class Store {
  private readonly db: Database.Database;
  private readonly brazeIdPrefix: string;
  // apps are read for every token of every request: keep them in memory, drop on any change
  private appCache: Map<string, AppConfig> | undefined;
  // every request looks its key up; unknown keys are remembered too, as undefined
  private readonly keyCache = new Map<string, "*" | Permission[] | undefined>();
  private nextUserId: number;
  private pendingImports: AnonymousImport[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly batchStatements = new Map<string, Database.Statement>();
  private readonly stmt;

  constructor(path = ":memory:") {
    this.db = new Database(path);
    // a file gets a write-ahead log; an in-memory database needs no rollback journal beyond
    // SQLite's own, so it keeps the default (memory)
    if (path !== ":memory:") this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = OFF");
    this.db.exec(SCHEMA);
    this.checkSchemaVersion(path);

    // braze_ids are 24 hex characters: a per-workspace prefix and the profile's row id, so a
    // braze_id resolves to its row without an index of its own
    let prefix = this.db
      .prepare("SELECT value FROM meta WHERE key = 'braze_id_prefix'")
      .pluck()
      .get();
    if (typeof prefix !== "string") {
      prefix = randomBytes(4).toString("hex");
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('braze_id_prefix', ?)").run(prefix);
    }
    this.brazeIdPrefix = prefix as string;

    // row ids are handed out here rather than by SQLite, so a batch of profiles can be written
    // in one statement; a deleted profile's id is not handed out again
    const maxId = this.db.prepare("SELECT coalesce(max(id), 0) FROM users").pluck().get();
    const saved = this.db
      .prepare("SELECT value FROM meta WHERE key = 'next_user_id'")
      .pluck()
      .get();
    this.nextUserId = Math.max((maxId as number) + 1, Number(saved ?? 0));

    const db = this.db;
    this.stmt = {
      apps: db.prepare("SELECT app_id, name, platform, flatten FROM apps ORDER BY name"),
      upsertApp: db.prepare(
        `INSERT INTO apps (app_id, name, platform, flatten) VALUES (?, ?, ?, ?)
         ON CONFLICT(app_id) DO UPDATE SET name = excluded.name, platform = excluded.platform,
         flatten = excluded.flatten`,
      ),
      setFlatten: db.prepare("UPDATE apps SET flatten = ? WHERE app_id = ?"),
      key: db.prepare("SELECT permissions FROM api_keys WHERE key_hash = ?").pluck(),
      keyCount: db.prepare("SELECT count(*) FROM api_keys").pluck(),
      upsertKey: db.prepare(
        `INSERT INTO api_keys (key_hash, permissions) VALUES (?, ?)
         ON CONFLICT(key_hash) DO UPDATE SET permissions = excluded.permissions`,
      ),
      insertUser: db.prepare(
        `INSERT INTO users (id, external_id, email, phone, temporary, attributes, created_at,
         updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      user: db.prepare("SELECT * FROM users WHERE id = ?"),
      userByExternalId: db.prepare("SELECT * FROM users WHERE external_id = ?"),
      userByEmail: db.prepare("SELECT * FROM users WHERE email = ? ORDER BY id LIMIT 1"),
      userByPhone: db.prepare("SELECT * FROM users WHERE phone = ? ORDER BY id LIMIT 1"),
      userIdByAlias: db
        .prepare("SELECT user_id FROM aliases WHERE alias_label = ? AND alias_name = ?")
        .pluck(),
      userIdByDevice: db.prepare("SELECT user_id FROM tokens WHERE device_id = ? LIMIT 1").pluck(),
      updateUser: db.prepare(
        `UPDATE users SET external_id = ?, email = ?, phone = ?, temporary = ?, attributes = ?,
         updated_at = ? WHERE id = ?`,
      ),
      deleteUser: db.prepare("DELETE FROM users WHERE id = ?"),
      deleteUserTokens: db.prepare("DELETE FROM tokens WHERE user_id = ?"),
      deleteUserAliases: db.prepare("DELETE FROM aliases WHERE user_id = ?"),
      usersPage: db.prepare("SELECT * FROM users WHERE id > ? ORDER BY id LIMIT ?"),
      aliasesOf: db.prepare(
        "SELECT alias_name, alias_label FROM aliases WHERE user_id = ? ORDER BY alias_label",
      ),
      insertAlias: db.prepare(
        `INSERT INTO aliases (alias_label, alias_name, user_id) VALUES (?, ?, ?)
         ON CONFLICT(alias_label, alias_name) DO UPDATE SET user_id = excluded.user_id`,
      ),
      moveAliases: db.prepare("UPDATE aliases SET user_id = ? WHERE user_id = ?"),
      token: db.prepare("SELECT * FROM tokens WHERE hash = ? AND app_id = ? AND token = ?"),
      insertToken: db.prepare(
        `INSERT INTO tokens (hash, app_id, token, user_id, device_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      moveToken: db.prepare("UPDATE tokens SET user_id = ?, device_id = ? WHERE id = ?"),
      moveUserTokens: db.prepare("UPDATE tokens SET user_id = ? WHERE user_id = ?"),
      deleteToken: db.prepare("DELETE FROM tokens WHERE id = ?"),
      tokensOf: db.prepare("SELECT * FROM tokens WHERE user_id = ? ORDER BY id"),
      tokenCount: db.prepare("SELECT count(*) FROM tokens WHERE user_id = ?").pluck(),
      bumpCounter: db.prepare(
        `INSERT INTO counters (name, value) VALUES (?, ?)
         ON CONFLICT(name) DO UPDATE SET value = value + excluded.value`,
      ),
      counter: db.prepare("SELECT value FROM counters WHERE name = ?").pluck(),
      recordSession: db.prepare(
        `INSERT INTO sessions (user_id, app_id, sessions, first_used, last_used)
         VALUES (?, ?, 1, ?, ?) ON CONFLICT(user_id, app_id) DO UPDATE SET
         sessions = sessions + 1, last_used = excluded.last_used`,
      ),
      sessionsOf: db.prepare(
        "SELECT app_id, sessions, first_used, last_used FROM sessions WHERE user_id = ? ORDER BY app_id",
      ),
      deleteUserSessions: db.prepare("DELETE FROM sessions WHERE user_id = ?"),
      cleanup: db.prepare(
        `DELETE FROM users WHERE temporary = 1
         AND NOT EXISTS (SELECT 1 FROM tokens WHERE tokens.user_id = users.id)`,
      ),
      insertOutbox: db.prepare(
        `INSERT INTO outbox (dispatch_id, external_id, app_id, platform, token, payload,
         created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      outbox: db.prepare("SELECT * FROM outbox ORDER BY id DESC LIMIT ?"),
      outboxByDispatch: db.prepare("SELECT * FROM outbox WHERE dispatch_id = ? ORDER BY id"),
      insertLog: db.prepare(
        `INSERT INTO request_log (at, method, path, status, duration_ms, objects, key_fingerprint,
         fault, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      log: db.prepare("SELECT * FROM request_log ORDER BY id DESC LIMIT ?"),
      trimLog: db.prepare("DELETE FROM request_log WHERE id <= ?"),
      stats: db.prepare(
        `SELECT (SELECT count(*) FROM users) AS users,
                (SELECT count(*) FROM users WHERE temporary = 1) AS temporaryUsers,
                (SELECT count(*) FROM tokens) AS tokens,
                (SELECT count(*) FROM outbox) AS outbox`,
      ),
    };
  }

  // a data file written with another layout is refused rather than misread
  private checkSchemaVersion(path: string): void {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck();
    const found = row.get() as string | undefined;
    if (found === undefined) {
      this.db
        .prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)")
        .run(String(SCHEMA_VERSION));
    } else if (found !== String(SCHEMA_VERSION)) {
      this.db.close();
      throw new Error(
        `emulator data file ${path} has layout version ${found}, this emulator writes ` +
          `version ${SCHEMA_VERSION}; start with a new --data file`,
      );
    }
  }

  /** Runs `fn` in one SQLite transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Closes the database; the store is unusable afterwards. */
  close(): void {
    this.flush();
    this.db
      .prepare(
        `INSERT INTO meta (key, value) VALUES ('next_user_id', ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      )
      .run(String(this.nextUserId));
    this.db.close();
  }

  // --- apps and keys ----------------------------------------------------------------------

  /** Adds an app or replaces the one with the same app_id. */
  upsertApp(app: AppConfig): void {
    this.stmt.upsertApp.run(app.appId, app.name, app.platform, app.flatten ? 1 : 0);
    this.appCache = undefined;
  }

  /** The app with this app_id, if the workspace has it. */
  app(appId: string): AppConfig | undefined {
    this.appCache ??= new Map(this.apps().map((app) => [app.appId, app]));
    return this.appCache.get(appId);
  }

  /** Every app of the workspace, by name. */
  apps(): AppConfig[] {
    return (this.stmt.apps.all() as AppDbRow[]).map(toApp);
  }

  /** Switches flattening of an app's key-value pairs on or off; false when the app is unknown. */
  setFlatten(appId: string, flatten: boolean): boolean {
    this.appCache = undefined;
    return this.stmt.setFlatten.run(flatten ? 1 : 0, appId).changes > 0;
  }

  /** Adds a key (kept as its digest) or replaces its permissions. */
  upsertKey(key: string, permissions: "*" | readonly Permission[]): void {
    this.keyCache.clear();
    this.stmt.upsertKey.run(hashApiKey(key), JSON.stringify(permissions));
  }

  /** The permissions of the key with this digest, if the workspace has it. */
  keyPermissions(keyHash: string): "*" | Permission[] | undefined {
    if (!this.keyCache.has(keyHash)) {
      const json = this.stmt.key.get(keyHash) as string | undefined;
      this.keyCache.set(keyHash, json === undefined ? undefined : JSON.parse(json));
    }
    return this.keyCache.get(keyHash);
  }

  /** How many keys the workspace has. */
  keyCount(): number {
    return this.stmt.keyCount.get() as number;
  }

  // --- profiles ---------------------------------------------------------------------------

  /** The braze_id of a profile row. */
  brazeId(userId: number): string {
    return this.brazeIdPrefix + userId.toString(16).padStart(16, "0");
  }

  /** The row id a braze_id names, or undefined when it is not one of this workspace's. */
  userIdFromBrazeId(brazeId: string): number | undefined {
    if (brazeId.length !== 24 || !brazeId.startsWith(this.brazeIdPrefix)) return undefined;
    const hex = brazeId.slice(8);
    if (!/^[0-9a-f]{16}$/.test(hex)) return undefined;
    return Number.parseInt(hex, 16);
  }

  /** Creates a profile and returns its row id. */
  createUser(fields: {
    externalId?: string | null;
    email?: string | null;
    phone?: string | null;
    temporary?: boolean;
    attributes?: Record<string, unknown> | null;
  }): number {
    this.flush();
    const now = Date.now();
    const attributes =
      fields.attributes && Object.keys(fields.attributes).length > 0
        ? JSON.stringify(fields.attributes)
        : null;
    const id = this.nextUserId++;
    this.stmt.insertUser.run(
      id,
      fields.externalId ?? null,
      fields.email ?? null,
      fields.phone ?? null,
      fields.temporary ? 1 : 0,
      attributes,
      now,
      now,
    );
    return id;
  }

  /**
   * Anonymous token import in bulk: for each token no profile holds yet, a temporary profile
   * with the given fields; tokens already held (or repeated in `items`) are ignored, as Braze
   * does (push_token_migration.md).
   *
   * This is the emulator's hot path under load, so imports are queued and written together,
   * sorted by token hash, in multi-row statements: when the queue is full, after
   * PENDING_IMPORTS_MS, or before any other read or write of profiles and tokens, so no caller
   * ever sees the workspace without them. Shortcoming: a process killed with SIGKILL loses what
   * is queued (at most PENDING_IMPORTS_MS of answered imports); `close()` writes it first.
   */
  importAnonymous(items: readonly AnonymousImport[]): void {
    for (const item of items) this.pendingImports.push(item);
    if (this.pendingImports.length >= PENDING_IMPORTS_MAX) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), PENDING_IMPORTS_MS).unref();
  }

  /** Writes queued anonymous imports; every read and every other write calls it first. */
  flush(): void {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.pendingImports.length === 0) return;
    const items = this.pendingImports;
    this.pendingImports = [];
    this.transaction(() => this.writeAnonymous(items));
  }

  private writeAnonymous(items: AnonymousImport[]): void {
    for (let start = 0; start < items.length; start += SORT_SLICE) {
      this.writeAnonymousSlice(items.slice(start, start + SORT_SLICE));
    }
  }

  private writeAnonymousSlice(items: AnonymousImport[]): void {
    // in hash order, consecutive inserts land on neighbouring index pages. Each sort key holds
    // the hash's top 32 bits above the item's position, so a plain numeric sort of a typed array
    // orders them without a comparator function
    const hashes = items.map((item) => tokenHash(item.appId, item.token));
    const keys = new Float64Array(items.length);
    hashes.forEach((hash, i) => (keys[i] = Math.floor(hash / SORT_SLICE) * SORT_SLICE + i));
    keys.sort();
    const queued = Array.from(keys, (key) => {
      const i = key % SORT_SLICE;
      return { item: items[i], hash: hashes[i] };
    });

    const now = Date.now();
    for (let start = 0; start < queued.length; start += BATCH_ROWS) {
      const chunk = queued.slice(start, start + BATCH_ROWS);

      // which of these tokens does the workspace hold already?
      const rows = this.batch("held", chunk.length).all(...chunk.map((q) => q.hash)) as {
        app_id: string;
        token: string;
      }[];
      const held = new Set(rows.map((row) => `${row.app_id}\n${row.token}`));

      const tokenArgs: unknown[] = [];
      const userArgs: unknown[] = [];
      for (const { item, hash } of chunk) {
        const key = `${item.appId}\n${item.token}`;
        if (held.has(key)) continue;
        held.add(key);
        const id = this.nextUserId++;
        tokenArgs.push(hash, item.appId, item.token, id, item.deviceId ?? null, now);
        userArgs.push(
          id,
          item.email ?? null,
          item.phone ?? null,
          item.attributes ?? null,
          now,
          now,
        );
      }
      const created = userArgs.length / 6;
      if (created === 0) continue;
      this.batch("tokens", created).run(...tokenArgs);
      this.batch("users", created).run(...userArgs);
    }
  }

  // multi-row statements, prepared once per row count
  private batch(kind: "held" | "tokens" | "users", rows: number): Database.Statement {
    const name = `${kind}:${rows}`;
    let stmt = this.batchStatements.get(name);
    if (stmt === undefined) {
      const sql = {
        held: `SELECT app_id, token FROM tokens WHERE hash IN (${Array(rows).fill("?").join(", ")})`,
        tokens: `INSERT INTO tokens (hash, app_id, token, user_id, device_id, created_at)
          VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?)").join(", ")}`,
        users: `INSERT INTO users (id, email, phone, temporary, attributes, created_at, updated_at)
          VALUES ${Array(rows).fill("(?, ?, ?, 1, ?, ?, ?)").join(", ")}`,
      }[kind];
      stmt = this.db.prepare(sql);
      this.batchStatements.set(name, stmt);
    }
    return stmt;
  }

  /** A profile by row id. */
  user(id: number): UserRow | undefined {
    this.flush();
    return this.stmt.user.get(id) as UserRow | undefined;
  }

  /** A profile by external_id. */
  userByExternalId(externalId: string): UserRow | undefined {
    this.flush();
    return this.stmt.userByExternalId.get(externalId) as UserRow | undefined;
  }

  /** A profile by braze_id. */
  userByBrazeId(brazeId: string): UserRow | undefined {
    const id = this.userIdFromBrazeId(brazeId);
    return id === undefined ? undefined : this.user(id);
  }

  /** The oldest profile with this email address. */
  userByEmail(email: string): UserRow | undefined {
    this.flush();
    return this.stmt.userByEmail.get(email) as UserRow | undefined;
  }

  /** The oldest profile with this phone number. */
  userByPhone(phone: string): UserRow | undefined {
    this.flush();
    return this.stmt.userByPhone.get(phone) as UserRow | undefined;
  }

  /** A profile by user alias. */
  userByAlias(alias: AliasRow): UserRow | undefined {
    this.flush();
    const id = this.stmt.userIdByAlias.get(alias.alias_label, alias.alias_name) as
      number | undefined;
    return id === undefined ? undefined : this.user(id);
  }

  /** The profile holding a token registered with this device_id. */
  userByDeviceId(deviceId: string): UserRow | undefined {
    this.flush();
    if (deviceId.startsWith(GENERATED_DEVICE_PREFIX)) {
      const id = this.userIdFromBrazeId(deviceId.slice(GENERATED_DEVICE_PREFIX.length));
      return id === undefined ? undefined : this.user(id);
    }
    const id = this.stmt.userIdByDevice.get(deviceId) as number | undefined;
    return id === undefined ? undefined : this.user(id);
  }

  /** Rewrites a profile's columns; attributes are merged by the caller. */
  updateUser(
    row: UserRow,
    patch: Partial<Pick<UserRow, "external_id" | "email" | "phone" | "temporary" | "attributes">>,
  ): void {
    this.flush();
    const next = { ...row, ...patch };
    this.stmt.updateUser.run(
      next.external_id,
      next.email,
      next.phone,
      next.temporary,
      next.attributes,
      Date.now(),
      row.id,
    );
  }

  /** Deletes a profile with its aliases and tokens. */
  deleteUser(id: number): void {
    this.flush();
    this.stmt.deleteUserTokens.run(id);
    this.stmt.deleteUserAliases.run(id);
    this.stmt.deleteUserSessions.run(id);
    this.stmt.deleteUser.run(id);
  }

  /** Up to `limit` profiles with a row id above `afterId`, in id order (keyset paging). */
  usersPage(afterId: number, limit: number): UserRow[] {
    this.flush();
    return this.stmt.usersPage.all(afterId, limit) as UserRow[];
  }

  /** Adds an alias to a profile (taking it from another profile if one had it). */
  addAlias(userId: number, alias: AliasRow): void {
    this.flush();
    this.stmt.insertAlias.run(alias.alias_label, alias.alias_name, userId);
  }

  /** The aliases of a profile. */
  aliasesOf(userId: number): AliasRow[] {
    this.flush();
    return this.stmt.aliasesOf.all(userId) as AliasRow[];
  }

  /** Moves every alias and token of one profile to another. */
  moveAliasesAndTokens(fromUserId: number, toUserId: number): void {
    this.flush();
    this.stmt.moveAliases.run(toUserId, fromUserId);
    this.stmt.moveUserTokens.run(toUserId, fromUserId);
  }

  // --- push tokens ------------------------------------------------------------------------

  /** A token of an app, if any profile holds it. */
  token(appId: string, token: string): TokenRow | undefined {
    this.flush();
    const row = this.tokenRow(appId, token);
    return row && this.withDeviceId(row);
  }

  /**
   * Sets a token on a profile; a token is held by one profile at a time, so it leaves whichever
   * profile held it before. Returns the row id of that previous holder, if another one.
   */
  setToken(appId: string, token: string, userId: number, deviceId?: string): number | undefined {
    this.flush();
    const existing = this.tokenRow(appId, token);
    if (existing === undefined) {
      const hash = tokenHash(appId, token);
      this.stmt.insertToken.run(hash, appId, token, userId, deviceId ?? null, Date.now());
      return undefined;
    }
    this.stmt.moveToken.run(userId, deviceId ?? existing.device_id, existing.id);
    return existing.user_id !== userId ? existing.user_id : undefined;
  }

  /** Removes a token; false when no profile held it. */
  deleteToken(appId: string, token: string): boolean {
    this.flush();
    const existing = this.tokenRow(appId, token);
    return existing !== undefined && this.stmt.deleteToken.run(existing.id).changes > 0;
  }

  private tokenRow(appId: string, token: string): TokenDbRow | undefined {
    return this.stmt.token.get(tokenHash(appId, token), appId, token) as TokenDbRow | undefined;
  }

  /** The tokens a profile holds. */
  tokensOf(userId: number): TokenRow[] {
    this.flush();
    return (this.stmt.tokensOf.all(userId) as TokenDbRow[]).map((row) => this.withDeviceId(row));
  }

  // a token imported without a device_id gets one generated from its profile's braze_id, so
  // that it needs no index entry and still resolves back to the profile
  private withDeviceId(row: TokenDbRow): TokenRow {
    return row.device_id === null
      ? { ...row, device_id: GENERATED_DEVICE_PREFIX + this.brazeId(row.user_id) }
      : (row as TokenRow);
  }

  /** How many tokens a profile holds. */
  tokenCount(userId: number): number {
    this.flush();
    return this.stmt.tokenCount.get(userId) as number;
  }

  /** Deletes temporary profiles that hold no token (Braze's monthly cleanup). */
  cleanupTemporaryProfiles(): number {
    this.flush();
    return this.stmt.cleanup.run().changes;
  }

  // --- SDK sessions -----------------------------------------------------------------------

  /** Records that the Braze SDK logged a session for a profile in an app. */
  recordSession(userId: number, appId: string): void {
    this.flush();
    const now = Date.now();
    this.stmt.recordSession.run(userId, appId, now, now);
  }

  /** The apps a profile has logged sessions in (none for a profile only the REST API wrote). */
  sessionsOf(userId: number): SessionRow[] {
    this.flush();
    return this.stmt.sessionsOf.all(userId) as SessionRow[];
  }

  // --- counters, outbox, request log ------------------------------------------------------

  /** Adds to a named counter (events, purchases). */
  bump(name: string, by: number): void {
    if (by !== 0) this.stmt.bumpCounter.run(name, by);
  }

  /** Records a rendered push. */
  addToOutbox(row: Omit<OutboxRow, "id" | "created_at">): void {
    this.stmt.insertOutbox.run(
      row.dispatch_id,
      row.external_id,
      row.app_id,
      row.platform,
      row.token,
      row.payload,
      Date.now(),
    );
  }

  /** Rendered pushes of one dispatch, or the newest `limit` of all. */
  outbox(filter: { dispatchId?: string; limit?: number }): OutboxRow[] {
    if (filter.dispatchId !== undefined) {
      return this.stmt.outboxByDispatch.all(filter.dispatchId) as OutboxRow[];
    }
    return this.stmt.outbox.all(filter.limit ?? 100) as OutboxRow[];
  }

  /** Appends to the request log, keeping at most `keep` entries. */
  logRequest(entry: Omit<RequestLogRow, "id">, keep: number): void {
    if (keep === 0) return;
    const id = Number(
      this.stmt.insertLog.run(
        entry.at,
        entry.method,
        entry.path,
        entry.status,
        entry.duration_ms,
        entry.objects,
        entry.key_fingerprint,
        entry.fault,
        entry.errors,
      ).lastInsertRowid,
    );

    // trim in steps rather than on every insert
    if (id % 1000 === 0 && id > keep) this.stmt.trimLog.run(id - keep);
  }

  /** The newest `limit` entries of the request log, newest first. */
  requestLog(limit: number): RequestLogRow[] {
    return this.stmt.log.all(limit) as RequestLogRow[];
  }

  /** Counts of what the workspace holds. */
  stats(): StoreStats {
    this.flush();
    const row = this.stmt.stats.get() as Omit<StoreStats, "events" | "purchases">;
    return {
      ...row,
      events: (this.stmt.counter.get("events") as number | undefined) ?? 0,
      purchases: (this.stmt.counter.get("purchases") as number | undefined) ?? 0,
    };
  }

  /** Deletes every profile, token, alias, counter, outbox entry and log entry. */
  resetData(): void {
    this.flush();
    this.db.exec(
      "DELETE FROM users; DELETE FROM aliases; DELETE FROM tokens; DELETE FROM counters; " +
        "DELETE FROM outbox; DELETE FROM request_log; DELETE FROM sessions;",
    );
  }

  /** Deletes every app and key as well (a reset that also drops the configuration). */
  resetConfig(): void {
    this.db.exec("DELETE FROM apps; DELETE FROM api_keys;");
    this.keyCache.clear();
    this.appCache = undefined;
  }
}

/** One token of an anonymous import, with the fields of its temporary profile. */
export interface AnonymousImport {
  readonly appId: string;
  readonly token: string;
  readonly deviceId?: string;
  readonly email?: string | null;
  readonly phone?: string | null;
  /** Other attributes as a JSON object text, or null. */
  readonly attributes?: string | null;
}

// anonymous imports wait in memory until this many are queued or this many ms have passed,
// then go to SQLite together (see `importAnonymous`)
const PENDING_IMPORTS_MAX = 50000;
const PENDING_IMPORTS_MS = 250;

// items sorted at once: positions must fit below the 2^20 of the sort key (see writeAnonymous)
const SORT_SLICE = 2 ** 20;

// rows per multi-row statement: 6 parameters a row stays far below SQLite's variable limit
const BATCH_ROWS = 100;

/** Prefix of the device_ids the emulator generates for tokens imported without one. */
export const GENERATED_DEVICE_PREFIX = "gen-";

type TokenDbRow = Omit<TokenRow, "device_id"> & { id: number; device_id: string | null };

interface AppDbRow {
  app_id: string;
  name: string;
  platform: string;
  flatten: number;
}

function toApp(row: AppDbRow): AppConfig {
  return {
    appId: row.app_id,
    name: row.name,
    platform: row.platform as Platform,
    flatten: row.flatten === 1,
  };
}
