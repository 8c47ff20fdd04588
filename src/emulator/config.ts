import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * The REST API key permissions the emulator knows, named as in Braze's dashboard.
 *
 * Source: _docs/_api/basics.md (REST API key permissions).
 */
export const PERMISSIONS = [
  "users.track",
  "users.export.ids",
  "users.export.segment",
  "users.delete",
  "users.identify",
  "messages.send",
  "segments.list",
] as const;

/** One REST API key permission. */
export type Permission = (typeof PERMISSIONS)[number];

/** Platforms an app of a Braze workspace can have. */
export const PLATFORMS = ["ios", "android", "web"] as const;

/** The platform of one app. */
export type Platform = (typeof PLATFORMS)[number];

const rateLimitSchema = z
  .object({
    limit: z.number().int().positive(),
    windowSeconds: z.number().positive(),
  })
  .strict();

/** One fixed-window rate limit: `limit` requests per `windowSeconds`. */
export type RateLimit = z.infer<typeof rateLimitSchema>;

const appSchema = z
  .object({
    appId: z.string().min(1, "appId must not be empty"),
    name: z.string().min(1, "name must not be empty"),
    platform: z.enum(PLATFORMS),
    flatten: z.boolean().optional(),
  })
  .strict();

/** An app of the emulated workspace. */
export type AppConfig = z.infer<typeof appSchema>;

/** Endpoints a fault rule can target; `*` matches every Braze endpoint (never the admin API). */
export const FAULT_ENDPOINTS = [
  "*",
  "/users/track",
  "/users/export/ids",
  "/users/export/segment",
  "/users/delete",
  "/users/identify",
  "/messages/send",
] as const;

/**
 * What a fault rule does to a matching request.
 *
 * - `status`: answer with `status` (429, 500, 502, 503 or 504) without applying the request;
 * - `drop-before`: close the connection before the request is applied;
 * - `drop-after`: apply the request, then close the connection without answering;
 * - `slow`: apply the request and answer `delayMs` later;
 * - `malformed`: apply the request and answer with a truncated JSON body.
 */
export const FAULT_KINDS = ["status", "drop-before", "drop-after", "slow", "malformed"] as const;

export const faultRuleSchema = z
  .object({
    endpoint: z.enum(FAULT_ENDPOINTS).default("*"),
    kind: z.enum(FAULT_KINDS),
    status: z
      .union([z.literal(429), z.literal(500), z.literal(502), z.literal(503), z.literal(504)])
      .optional(),
    delayMs: z.number().int().nonnegative().optional(),
    count: z.number().int().positive().optional(),
    share: z.number().min(0).max(1).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.kind === "status" && rule.status === undefined) {
      ctx.addIssue({
        code: "custom",
        message: 'a fault of kind "status" needs "status": one of 429, 500, 502, 503, 504',
        path: ["status"],
      });
    }
    if (rule.kind === "slow" && rule.delayMs === undefined) {
      ctx.addIssue({
        code: "custom",
        message: 'a fault of kind "slow" needs "delayMs"',
        path: ["delayMs"],
      });
    }
  });

/** A fault rule as given in the config file or to `POST /_emulator/faults`. */
export type FaultRuleInput = z.input<typeof faultRuleSchema>;

/** A validated fault rule. */
export type FaultRule = z.output<typeof faultRuleSchema>;

/**
 * Limits of the emulated workspace. Braze's limits differ by contract and over time, so each is a
 * setting whose default is the value Braze documents now (see ../shared/braze-api.md).
 */
const limitsSchema = z
  .object({
    /**
     * Objects per /users/track request. Source: _docs/_api/endpoints/user_data/post_user_track.md.
     */
    trackObjectsPerRequest: z.number().int().positive().default(75),
    /**
     * `combined`: the limit counts attributes + events + purchases together (newer contracts);
     * `per-array`: each array has its own limit (legacy contracts).
     */
    trackObjectsMode: z.enum(["combined", "per-array"]).default("combined"),
    /** Largest request body accepted, in bytes (Braze documents 4 MB for /users/track). */
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    /** Bytes an external_id may take. Source: EXTERNAL_USER_ID_TOO_LARGE in post_user_track.md. */
    externalIdMaxBytes: z.number().int().positive().default(987),
    /** Identifiers per /users/export/ids, /users/delete and /users/identify request. */
    idsPerRequest: z.number().int().positive().default(50),
    /** external_user_ids per /messages/send request. */
    messageRecipientsPerRequest: z.number().int().positive().default(50),
    /** Android alert + extra, in bytes. Source: _docs/_api/errors.md. */
    androidPushMaxBytes: z.number().int().positive().default(4000),
    /** Apple push payload, in bytes. Source: _docs/_api/errors.md. */
    applePushMaxBytes: z.number().int().positive().default(1912),
    /** Newer workspaces must name `fields_to_export` in export requests. */
    requireFieldsToExport: z.boolean().default(true),
    /** Users per NDJSON file inside a segment export archive. */
    segmentExportUsersPerFile: z.number().int().positive().default(5000),
    /** Time before a segment export's download URL becomes readable (403 before), in ms. */
    segmentExportReadyDelayMs: z.number().int().nonnegative().default(1000),
    /** Time a finished segment export stays downloadable, in seconds. */
    segmentExportExpirySeconds: z
      .number()
      .int()
      .positive()
      .default(4 * 3600),
    /** Segment exports running at once across the company. */
    segmentExportsAtOnce: z.number().int().positive().default(100),
  })
  .strict();

/** The emulated workspace's limits. */
export type Limits = z.output<typeof limitsSchema>;

/**
 * Rate limits per endpoint group, all shared by every key of the workspace.
 * Source: _docs/_api/api_limits.md and the endpoint pages named beside each.
 */
const rateLimitsSchema = z
  .object({
    /** /users/track: 3,000 per 3 s since 2024-10-28 (post_user_track.md). */
    usersTrack: rateLimitSchema.default({ limit: 3000, windowSeconds: 3 }),
    /** /users/export/ids without fields_to_export: 250 per minute (post_users_identifier.md). */
    usersExportIds: rateLimitSchema.default({ limit: 250, windowSeconds: 60 }),
    /** /users/export/ids with fields_to_export: 40 per second (post_users_identifier.md). */
    usersExportIdsWithFields: rateLimitSchema.default({ limit: 40, windowSeconds: 1 }),
    /** /users/export/segment: Braze's default of 250,000 per hour (api_limits.md). */
    usersExportSegment: rateLimitSchema.default({ limit: 250000, windowSeconds: 3600 }),
    /** /users/delete and /users/identify share 20,000 per minute (api_limits.md). */
    usersDeleteIdentify: rateLimitSchema.default({ limit: 20000, windowSeconds: 60 }),
    /** /messages/send to a segment or as a broadcast: 250 per minute (api_limits.md). */
    messagesBroadcast: rateLimitSchema.default({ limit: 250, windowSeconds: 60 }),
    /** /messages/send to external_user_ids: Braze's default of 250,000 per hour (api_limits.md). */
    messagesSend: rateLimitSchema.default({ limit: 250000, windowSeconds: 3600 }),
    /**
     * What `x-ratelimit-reset` holds: Braze's general page says UTC epoch seconds, the MAU section
     * of post_user_track.md says seconds remaining.
     */
    resetFormat: z.enum(["epoch-seconds", "seconds-remaining"]).default("epoch-seconds"),
  })
  .strict();

/** The workspace's rate limits. */
export type RateLimits = z.output<typeof rateLimitsSchema>;

const latencySchema = z
  .object({
    /** Time added before every Braze endpoint answers, in ms. */
    fixedMs: z.number().int().nonnegative().default(0),
    /** A uniformly random extra of up to this many ms. */
    jitterMs: z.number().int().nonnegative().default(0),
  })
  .strict();

/** The emulator's config file, as validated. */
export const emulatorConfigSchema = z
  .object({
    /**
     * API keys and their permissions: `"*"` for every permission or a list. The keys are secrets:
     * the emulator keeps only their SHA-256 digests.
     */
    apiKeys: z
      .record(z.string().min(1), z.union([z.literal("*"), z.array(z.enum(PERMISSIONS))]))
      .default({}),
    apps: z.array(appSchema).default([]),
    /** Id of the built-in segment that holds every user. */
    allUsersSegmentId: z.string().min(1).default("all-users"),
    limits: limitsSchema.default(limitsSchema.parse({})),
    rateLimits: rateLimitsSchema.default(rateLimitsSchema.parse({})),
    latency: latencySchema.default(latencySchema.parse({})),
    faults: z.array(faultRuleSchema).default([]),
    /** Requests kept in the request log; older ones are dropped. */
    requestLogSize: z.number().int().nonnegative().default(10000),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.apps.forEach((app, i) => {
      if (seen.has(app.appId)) {
        ctx.addIssue({
          code: "custom",
          message: `appId "${app.appId}" is used by two apps; each app needs its own appId`,
          path: ["apps", i, "appId"],
        });
      }
      seen.add(app.appId);
    });
  });

/** The emulator's config as written in a file: every field optional. */
export type EmulatorConfigInput = z.input<typeof emulatorConfigSchema>;

/** The emulator's config with every default filled in. */
export type EmulatorConfig = z.output<typeof emulatorConfigSchema>;

/** The key a config without `apiKeys` serves. */
export const DEFAULT_API_KEY = "local-dev-key";

/** The apps a config without `apps` serves: one per platform. */
export const DEFAULT_APPS: AppConfig[] = [
  { appId: "00000000-0000-4000-8000-0000000000a1", name: "Emulated iOS", platform: "ios" },
  { appId: "00000000-0000-4000-8000-0000000000a2", name: "Emulated Android", platform: "android" },
  { appId: "00000000-0000-4000-8000-0000000000a3", name: "Emulated Web", platform: "web" },
];

/** Raised for a config that does not validate; the message names the file, the field and the fix. */
export class EmulatorConfigError extends Error {
  /** Stable code to branch on. */
  readonly code = "EMULATOR_CONFIG_INVALID";

  constructor(message: string) {
    super(message);
    this.name = "EmulatorConfigError";
  }
}

/**
 * Validates a config object and fills in the defaults of every limit. Keys and apps are left as
 * given: the emulator adds its default key and apps only when neither the config nor a data file
 * holds any (see `startEmulator`).
 *
 * @param input the parsed JSON
 * @param source where it came from, for error messages
 */
export function resolveConfig(input: unknown, source = "config"): EmulatorConfig {
  const parsed = emulatorConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
      return `  ${where}: ${issue.message}`;
    });
    throw new EmulatorConfigError(
      `${source} is not valid:\n${lines.join("\n")}\n` +
        "fix the fields named above; the README's emulator section lists every setting",
    );
  }
  return parsed.data;
}

/**
 * Reads and validates a config file.
 *
 * @throws EmulatorConfigError naming the file when it cannot be read, is not JSON or is invalid
 */
export function loadConfigFile(path: string): EmulatorConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new EmulatorConfigError(`cannot read emulator config ${path}: ${reason}`);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new EmulatorConfigError(
      `emulator config ${path} is not valid JSON: ${(err as Error).message}; ` +
        "fix the syntax (the README shows an example config)",
    );
  }
  return resolveConfig(json, `emulator config ${path}`);
}
