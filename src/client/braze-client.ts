import type { z } from "zod";
import { brazeConfigFromEnv, resolveEndpoint } from "./endpoint";
import { BrazeBadRequestError, BrazeConfigError, isBrazeError } from "./errors";
import {
  DEFAULT_RATE_LIMITS,
  type RateGroup,
  type RateLimitSetting,
  type ResetFormat,
} from "./rate-limiter";
import { RequestEngine, type BrazeClientStats } from "./request-engine";
import { resolveRetryPolicy, type RetryOptions, type RetryPolicy } from "./retry-policy";
import {
  deleteResponseSchema,
  exportIdsResponseSchema,
  messagesSendResponseSchema,
  segmentExportStartSchema,
  trackErrorItemSchema,
  trackResponseSchema,
  TRACK_ARRAYS,
  type ExportedUser,
  type TrackArray,
  type TrackRejection,
  type UserAlias,
} from "./schemas";
import { streamSegmentExport, type SegmentDownloadOptions } from "./segment-export";
import { UndiciTransport, type BrazeTransport } from "./transport";

/** Settings of a `BrazeClient`. */
export interface BrazeClientOptions {
  /** The REST endpoint: a URL, or an instance name such as `US-03`, `EU-01`, `AU-01`. */
  readonly endpoint: string;
  /** The workspace's REST API key. Kept in a private field, sent only as a bearer header. */
  readonly apiKey: string;
  /**
   * The seam all outbound HTTP goes through.
   * @default a keep-alive `UndiciTransport` with `concurrency` connections per origin
   */
  readonly transport?: BrazeTransport;
  /**
   * Requests in flight at once, across endpoints. To fill a rate limit it must be at least
   * requests-per-second x seconds-per-request: 1,000 req/s at 100 ms needs 100 or more.
   * @default 32
   */
  readonly concurrency?: number;
  /**
   * Time allowed for an answer's headers, and between chunks of its body, in ms. A request that
   * times out has an unknown outcome.
   * @default 30000
   */
  readonly timeoutMs?: number;
  /** Retries of 429, 5xx and connection failures; see `RetryOptions`. */
  readonly retry?: RetryOptions;
  /**
   * The workspace's limits per group, for contracts that differ from the documented ones.
   * @default DEFAULT_RATE_LIMITS - the limits Braze documents now
   */
  readonly rateLimits?: Partial<Record<RateGroup, RateLimitSetting>>;
  /**
   * Share of each limit this process may use, in (0, 1]. Processes that import into one
   * workspace at once (Terraform runs up to 10 handlers) each take a share, e.g. 0.5 for two;
   * the `x-ratelimit-*` headers keep them honest when the shares add up to more than 1.
   * @default 1
   */
  readonly rateShare?: number;
  /**
   * Added to every rate window, in ms, so that requests sent a window apart cannot land in one
   * of Braze's windows when their latencies differ.
   * @default 100
   */
  readonly rateMarginMs?: number;
  /**
   * What `x-ratelimit-reset` holds; see `ResetFormat`.
   * @default "auto" - above 1e9 is epoch seconds, below is seconds remaining
   */
  readonly resetFormat?: ResetFormat;
  /**
   * Random source of the backoff jitter.
   * @default Math.random
   */
  readonly random?: () => number;
}

/** Options of one call that writes. */
export interface CallOptions {
  /**
   * Whether the request may be re-sent when its outcome is unknown (connection lost or timeout
   * after sending, unreadable success body). True for anonymous imports (Braze ignores tokens
   * it has); false for identified imports (a re-send rewrites attributes a user may have
   * changed since). A 429, a 5xx or a failure to connect is retried either way.
   */
  readonly idempotent: boolean;
}

/** A /users/track request body. */
export interface TrackRequest {
  readonly attributes?: readonly object[];
  readonly events?: readonly object[];
  readonly purchases?: readonly object[];
}

/**
 * Options of `track`.
 *
 * @typeParam R the caller's row type
 */
export interface TrackOptions<R = unknown> extends CallOptions {
  /**
   * The caller's rows, parallel to the request's arrays (same length and order), so that
   * rejections name the row they came from.
   */
  readonly rows?: { readonly [A in TrackArray]?: readonly R[] };
}

/** What /users/track did with a request that was accepted. */
export interface TrackResult<R = unknown> {
  /** Braze's message: `success`. */
  readonly message: string;
  /** Objects processed per array, when Braze counted them. */
  readonly processed: { readonly [A in TrackArray]?: number };
  /** Objects Braze rejected (non-fatal errors); every other object was accepted. */
  readonly rejected: readonly TrackRejection<R>[];
  /** Error items that do not name an object (kept as sent). */
  readonly otherErrors: readonly unknown[];
}

/** Whom /users/export/ids looks up: ids and aliases (up to 50 together), or one other key. */
export interface ExportIdsQuery {
  readonly externalIds?: readonly string[];
  readonly userAliases?: readonly UserAlias[];
  readonly deviceId?: string;
  readonly brazeId?: string;
  readonly emailAddress?: string;
  readonly phone?: string;
  /**
   * Fields to return, e.g. `["external_id","braze_id","push_tokens"]`; required by newer
   * workspaces, and it raises the rate limit from 250/min to 40/s.
   */
  readonly fieldsToExport?: readonly string[];
}

/** The answer of /users/export/ids. */
export interface ExportIdsResult {
  readonly users: readonly ExportedUser[];
  /** Ids asked for that Braze does not know. */
  readonly invalidUserIds: readonly string[];
}

/** Whom /users/delete deletes: up to 50 of one kind of identifier. */
export type DeleteUsersQuery =
  | { readonly externalIds: readonly string[] }
  | { readonly userAliases: readonly UserAlias[] }
  | { readonly brazeIds: readonly string[] };

/**
 * A /messages/send body, as Braze names its fields (`external_user_ids`, `segment_id`,
 * `broadcast`, `messages.android_push`, `messages.apple_push`, ...).
 */
export type MessagesSendRequest = Readonly<Record<string, unknown>>;

/** How to start a segment export. */
export interface SegmentExportRequest {
  readonly segmentId: string;
  /** Fields of each user, e.g. `["external_id","push_tokens"]` (required). */
  readonly fieldsToExport: readonly string[];
}
/**
 * A client of Braze's REST API for what this project needs: /users/track, /users/export/ids,
 * /users/export/segment, /users/delete, /messages/send.
 *
 * Every call is rate-limited per group (see `GroupLimiter`), capped at `concurrency` requests
 * in flight, and retried with exponential backoff and full jitter on 429, 5xx and failures to
 * connect. Retry discipline: a request whose outcome is unknown (connection lost or timeout
 * after sending, success with an unreadable body) is re-sent only when the call is idempotent;
 * otherwise the call fails with BRAZE_OUTCOME_UNKNOWN and the caller records its objects as
 * unknown. All outbound HTTP goes through `options.transport`.
 */
export class BrazeClient {
  /** The REST endpoint base URL in use. */
  readonly endpoint: string;
  readonly #engine: RequestEngine;
  readonly #transport: BrazeTransport;
  readonly #ownsTransport: boolean;
  readonly #policy: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #random: () => number;

  constructor(options: BrazeClientOptions) {
    if (typeof options.apiKey !== "string" || options.apiKey.trim() === "") {
      throw new BrazeConfigError(
        "the Braze API key is empty: set BRAZE_API_KEY to a REST API key of the workspace",
      );
    }
    if (/\s/.test(options.apiKey.trim())) {
      throw new BrazeConfigError(
        "the Braze API key contains whitespace: copy the REST API key again without spaces",
      );
    }

    const concurrency = options.concurrency ?? 32;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new BrazeConfigError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(timeoutMs > 0)) {
      throw new BrazeConfigError(`timeoutMs must be a positive number of ms, got ${timeoutMs}`);
    }

    this.endpoint = resolveEndpoint(options.endpoint, "the Braze REST endpoint");
    this.#ownsTransport = options.transport === undefined;
    this.#transport = options.transport ?? new UndiciTransport({ connections: concurrency });
    this.#policy = resolveRetryPolicy(options.retry);
    this.#timeoutMs = timeoutMs;
    this.#random = options.random ?? Math.random;
    this.#engine = new RequestEngine({
      endpoint: this.endpoint,
      apiKey: options.apiKey.trim(),
      transport: this.#transport,
      concurrency,
      timeoutMs,
      policy: this.#policy,
      limits: { ...DEFAULT_RATE_LIMITS, ...options.rateLimits },
      share: options.rateShare ?? 1,
      marginMs: options.rateMarginMs ?? 100,
      resetFormat: options.resetFormat ?? "auto",
      random: this.#random,
    });
  }

  /**
   * A client configured from `BRAZE_REST_ENDPOINT` and `BRAZE_API_KEY`.
   *
   * @throws BrazeConfigError when either is missing or invalid
   */
  static fromEnv(
    options: Omit<BrazeClientOptions, "endpoint" | "apiKey"> = {},
    env: NodeJS.ProcessEnv = process.env,
  ): BrazeClient {
    const { endpoint, apiKey } = brazeConfigFromEnv(env);
    return new BrazeClient({ ...options, endpoint, apiKey });
  }

  /** Counters since the client was made: requests, retries, 429s, unknown outcomes. */
  get stats(): BrazeClientStats {
    return this.#engine.stats;
  }

  /** Requests per window this process may start in a group now (after header corrections). */
  effectiveRateLimit(group: RateGroup): number {
    return this.#engine.effectiveLimit(group);
  }

  /**
   * POST /users/track. Rejected objects (Braze's non-fatal `errors`) come back mapped to the
   * objects sent and, when given, the caller's rows.
   *
   * @throws BrazeBadRequestError when Braze refused the whole request (e.g. `Max Input Length
   *   Exceeded`, or every object invalid: then `rejected` maps each item)
   * @throws BrazeOutcomeUnknownError when the outcome is unknown and `idempotent` is false
   */
  async track<R = unknown>(
    request: TrackRequest,
    options: TrackOptions<R>,
  ): Promise<TrackResult<R>> {
    for (const array of TRACK_ARRAYS) {
      const rows = options.rows?.[array];
      const objects = request[array];
      if (rows !== undefined && rows.length !== (objects?.length ?? 0)) {
        throw new RangeError(
          `rows.${array} has ${rows.length} rows for ${objects?.length ?? 0} objects in ` +
            `${array}: pass one row per object, in the same order`,
        );
      }
    }

    let answer: z.infer<typeof trackResponseSchema>;
    try {
      answer = await this.#engine.call({
        endpoint: "/users/track",
        body: request,
        group: "usersTrack",
        idempotent: options.idempotent,
        schema: trackResponseSchema,
      });
    } catch (err) {
      if (!isBrazeError(err, "BRAZE_BAD_REQUEST")) throw err;
      const bad = err as BrazeBadRequestError;
      const { rejected } = mapTrackErrors(bad.details, request, options.rows);
      if (rejected.length === 0) throw bad;
      throw new BrazeBadRequestError(bad.message, bad.brazeMessage, bad.details, {
        endpoint: bad.endpoint,
        status: bad.status,
        attempts: bad.attempts,
        rejected,
      });
    }

    const { rejected, otherErrors } = mapTrackErrors(answer.errors ?? [], request, options.rows);
    const processed: { [A in TrackArray]?: number } = {};
    if (answer.attributes_processed !== undefined) {
      processed.attributes = answer.attributes_processed;
    }
    if (answer.events_processed !== undefined) processed.events = answer.events_processed;
    if (answer.purchases_processed !== undefined) processed.purchases = answer.purchases_processed;
    return { message: answer.message, processed, rejected, otherErrors };
  }

  /** POST /users/export/ids: reads profiles. Always safe to re-send. */
  async exportIds(query: ExportIdsQuery): Promise<ExportIdsResult> {
    const body: Record<string, unknown> = {};
    if (query.externalIds !== undefined) body.external_ids = query.externalIds;
    if (query.userAliases !== undefined) body.user_aliases = query.userAliases;
    if (query.deviceId !== undefined) body.device_id = query.deviceId;
    if (query.brazeId !== undefined) body.braze_id = query.brazeId;
    if (query.emailAddress !== undefined) body.email_address = query.emailAddress;
    if (query.phone !== undefined) body.phone = query.phone;
    if (query.fieldsToExport !== undefined) body.fields_to_export = query.fieldsToExport;

    const answer = await this.#engine.call({
      endpoint: "/users/export/ids",
      body,
      group: query.fieldsToExport === undefined ? "usersExportIds" : "usersExportIdsWithFields",
      idempotent: true,
      schema: exportIdsResponseSchema,
    });
    return { users: answer.users, invalidUserIds: answer.invalid_user_ids ?? [] };
  }

  /**
   * POST /users/delete: irreversible. Re-sending is safe (deleting twice deletes nothing more),
   * but after a retry `deleted` counts only what the last attempt deleted.
   */
  async deleteUsers(query: DeleteUsersQuery): Promise<{ deleted: number }> {
    const body =
      "externalIds" in query
        ? { external_ids: query.externalIds }
        : "userAliases" in query
          ? { user_aliases: query.userAliases }
          : { braze_ids: query.brazeIds };
    const answer = await this.#engine.call({
      endpoint: "/users/delete",
      body,
      group: "usersDeleteIdentify",
      idempotent: true,
      schema: deleteResponseSchema,
    });
    return { deleted: answer.deleted };
  }

  /**
   * POST /messages/send. Never re-sent after an unknown outcome: a second send is a second
   * push on the user's phone.
   *
   * @returns Braze's dispatch id
   */
  async sendMessage(request: MessagesSendRequest): Promise<{ dispatchId: string }> {
    const broadcast = request.broadcast === true || request.segment_id !== undefined;
    const answer = await this.#engine.call({
      endpoint: "/messages/send",
      body: request,
      group: broadcast ? "messagesBroadcast" : "messagesSend",
      idempotent: false,
      schema: messagesSendResponseSchema,
    });
    return { dispatchId: answer.dispatch_id };
  }

  /**
   * POST /users/export/segment: starts an export.
   *
   * Braze runs one export per segment at a time and answers 429 to a second; that 429 has no
   * rate-limit headers and is retried with backoff until the retries are used up.
   *
   * @returns the object prefix and the URL the ZIP will be served at (403 until it is ready)
   */
  async startSegmentExport(
    request: SegmentExportRequest,
  ): Promise<{ objectPrefix: string; url: string }> {
    const answer = await this.#engine.call({
      endpoint: "/users/export/segment",
      body: {
        segment_id: request.segmentId,
        fields_to_export: request.fieldsToExport,
        output_format: "zip",
      },
      group: "usersExportSegment",
      idempotent: true,
      schema: segmentExportStartSchema,
    });
    if (answer.url === undefined) {
      throw new BrazeConfigError(
        `the export of segment "${request.segmentId}" went to the workspace's cloud storage ` +
          `(object prefix "${answer.object_prefix}"): the client reads only Braze-hosted ` +
          "exports; read it from the bucket, or remove the storage integration",
        { endpoint: "/users/export/segment" },
      );
    }
    return { objectPrefix: answer.object_prefix, url: answer.url };
  }

  /**
   * Exports a segment and yields its users one by one: starts the export, polls the URL until
   * it stops answering 403, downloads the ZIP to a temporary file (deleted afterwards) and
   * reads its NDJSON files line by line. Memory stays flat however large the segment.
   */
  async *exportSegment(
    request: SegmentExportRequest,
    options: SegmentDownloadOptions = {},
  ): AsyncGenerator<ExportedUser, void, undefined> {
    const { url } = await this.startSegmentExport(request);
    yield* this.readSegmentExport(url, options);
  }

  /**
   * Downloads a started segment export and yields its users (see `exportSegment`). The URL is
   * fetched without the API key: it is a pre-signed download, possibly on another host.
   */
  readSegmentExport(
    url: string,
    options: SegmentDownloadOptions = {},
  ): AsyncGenerator<ExportedUser, void, undefined> {
    return streamSegmentExport(
      { transport: this.#transport, timeoutMs: this.#timeoutMs, policy: this.#policy },
      url,
      options,
      this.#random,
    );
  }

  /** Closes the default transport's connections (an injected transport is left open). */
  async close(): Promise<void> {
    if (this.#ownsTransport) await this.#transport.close();
  }
}

/** Maps /users/track error items to the objects (and rows) they name. */
function mapTrackErrors<R>(
  errors: readonly unknown[],
  request: TrackRequest,
  rows: TrackOptions<R>["rows"],
): { rejected: TrackRejection<R>[]; otherErrors: unknown[] } {
  const rejected: TrackRejection<R>[] = [];
  const otherErrors: unknown[] = [];
  for (const item of errors) {
    const parsed = trackErrorItemSchema.safeParse(item);
    const objects = parsed.success ? request[parsed.data.input_array] : undefined;
    if (!parsed.success || objects === undefined || parsed.data.index >= objects.length) {
      otherErrors.push(item);
      continue;
    }
    const { type, input_array: inputArray, index } = parsed.data;
    rejected.push({
      type,
      inputArray,
      index,
      object: objects[index],
      row: rows?.[inputArray]?.[index],
    });
  }
  return { rejected, otherErrors };
}
