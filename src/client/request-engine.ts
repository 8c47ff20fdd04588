import type { z } from "zod";
import {
  BrazeAuthError,
  BrazeBadRequestError,
  BrazeConnectionError,
  BrazeMalformedResponseError,
  BrazeOutcomeUnknownError,
  BrazePermissionError,
  BrazeRateLimitError,
  BrazeServerError,
  type BrazeError,
  type UnknownOutcomeReason,
} from "./errors";
import {
  GroupLimiter,
  readRateHeaders,
  sleep,
  type RateGroup,
  type RateHeaders,
  type RateLimitSetting,
  type ResetFormat,
} from "./rate-limiter";
import { backoffDelay, type RetryPolicy } from "./retry-policy";
import { Semaphore } from "./semaphore";
import { TransportError, type BrazeTransport } from "./transport";

/** Counters of one client, for progress lines and benchmarks. */
export interface BrazeClientStats {
  /** Requests sent (attempts, retries included). */
  requests: number;
  /** Retries made. */
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
  /** Calls that ended with BRAZE_OUTCOME_UNKNOWN. */
  outcomeUnknown: number;
}

/** The key permission each endpoint needs (_docs/_api/basics.md). */
export const ENDPOINT_PERMISSIONS = {
  "/users/track": "users.track",
  "/users/export/ids": "users.export.ids",
  "/users/export/segment": "users.export.segment",
  "/users/delete": "users.delete",
  "/messages/send": "messages.send",
} as const;

/** An endpoint path the client calls. */
export type BrazeEndpoint = keyof typeof ENDPOINT_PERMISSIONS;

/** One call as the client describes it to the engine. */
export interface CallSpec<T> {
  readonly endpoint: BrazeEndpoint;
  readonly body: unknown;
  readonly group: RateGroup;
  readonly idempotent: boolean;
  readonly schema: z.ZodType<T>;
}

// how one attempt ended
type Attempt<T> =
  | { kind: "ok"; value: T }
  | { kind: "fatal"; error: BrazeError }
  | { kind: "rate-limited"; waitMs: number | undefined }
  | { kind: "server"; status: number; message: string }
  | { kind: "not-sent"; error: TransportError }
  | { kind: "unknown"; reason: UnknownOutcomeReason; detail: string; cause?: unknown };

/** What the engine needs, every setting resolved and checked. */
export interface RequestEngineSettings {
  /** The REST endpoint base URL. */
  readonly endpoint: string;
  /** The REST API key. */
  readonly apiKey: string;
  readonly transport: BrazeTransport;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly policy: RetryPolicy;
  readonly limits: Readonly<Record<RateGroup, RateLimitSetting>>;
  readonly share: number;
  readonly marginMs: number;
  readonly resetFormat: ResetFormat;
  readonly random: () => number;
}

/**
 * Sends the client's calls: a place among `concurrency` in flight, a slot of the group's rate
 * limiter, the request through the transport, the answer read and validated, and retries with
 * exponential backoff and full jitter on 429, 5xx and failures to connect.
 *
 * Retry discipline: a request whose outcome is unknown (the connection lost or no answer within
 * `timeoutMs` after the request may have been written, a success answer whose body cannot be
 * read) is re-sent only when the call is idempotent; otherwise the call fails with
 * BRAZE_OUTCOME_UNKNOWN at once. What counts as "may have been written" is the transport's call
 * (see `UndiciTransport`): only a failure to connect is known not to have sent anything.
 */
export class RequestEngine {
  /** The REST endpoint base URL. */
  readonly endpoint: string;
  /** Counters since the engine was made. */
  readonly stats: BrazeClientStats = { requests: 0, retries: 0, rateLimited: 0, outcomeUnknown: 0 };
  readonly #apiKey: string;
  readonly #transport: BrazeTransport;
  readonly #slots: Semaphore;
  readonly #limiters = new Map<RateGroup, GroupLimiter>();
  readonly #limits: Readonly<Record<RateGroup, RateLimitSetting>>;
  readonly #policy: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #share: number;
  readonly #marginMs: number;
  readonly #resetFormat: ResetFormat;
  readonly #random: () => number;

  constructor(settings: RequestEngineSettings) {
    this.endpoint = settings.endpoint;
    this.#apiKey = settings.apiKey;
    this.#transport = settings.transport;
    this.#slots = new Semaphore(settings.concurrency);
    this.#limits = settings.limits;
    this.#policy = settings.policy;
    this.#timeoutMs = settings.timeoutMs;
    this.#share = settings.share;
    this.#marginMs = settings.marginMs;
    this.#resetFormat = settings.resetFormat;
    this.#random = settings.random;

    // fail on a bad limit or share now, not at the first request of that group
    for (const group of Object.keys(this.#limits) as RateGroup[]) this.limiter(group);
  }

  /** Requests per window this process may start in a group now. */
  effectiveLimit(group: RateGroup): number {
    return this.limiter(group).effectiveLimit;
  }

  /**
   * Makes one call: attempts, retries and the error they end in.
   *
   * @throws BrazeError with the code of the last failure
   */
  async call<T>(spec: CallSpec<T>): Promise<T> {
    const started = Date.now();
    const body = JSON.stringify(spec.body);

    for (let attempt = 1; ; attempt += 1) {
      const result = await this.attempt(spec, body);
      this.stats.requests += 1;
      if (result.kind === "ok") return result.value;
      if (result.kind === "fatal") throw withAttempts(result.error, attempt);

      if (result.kind === "unknown" && !spec.idempotent) {
        this.stats.outcomeUnknown += 1;
        throw this.unknownOutcome(spec, result, attempt);
      }

      // a 429 waits in the limiter (the whole group is blocked); everything else backs off
      const wait =
        result.kind === "rate-limited" && result.waitMs !== undefined
          ? result.waitMs
          : backoffDelay(attempt, this.#policy, this.#random);
      const elapsed = Date.now() - started;
      if (attempt >= this.#policy.maxAttempts || elapsed + wait > this.#policy.maxElapsedMs) {
        if (result.kind === "unknown") this.stats.outcomeUnknown += 1;
        throw this.exhausted(spec, result, attempt, elapsed);
      }

      this.stats.retries += 1;
      if (result.kind !== "rate-limited" || result.waitMs === undefined) await sleep(wait);
    }
  }

  // one attempt: a place in flight, a rate slot, the request, its answer. The place is taken
  // first so the rate slot is used at once; a group blocked by a 429 holds its places meanwhile
  private async attempt<T>(spec: CallSpec<T>, body: string): Promise<Attempt<T>> {
    const limiter = this.limiter(spec.group);
    await this.#slots.acquire();
    try {
      await limiter.acquire();

      let response;
      try {
        response = await this.#transport.request({
          method: "POST",
          url: `${this.endpoint}${spec.endpoint}`,
          headers: {
            authorization: `Bearer ${this.#apiKey}`,
            "content-type": "application/json",
            accept: "application/json",
          },
          body,
          timeoutMs: this.#timeoutMs,
        });
      } catch (err) {
        limiter.settle(undefined);
        return this.transportFailure(err);
      }

      const headers = readRateHeaders(response.headers, Date.now(), this.#resetFormat);
      limiter.settle(headers);

      let text: string | undefined;
      let readError: unknown;
      try {
        text = await readText(response.body);
      } catch (err) {
        readError = err;
      }
      return this.interpret(spec, response.status, text, readError, headers, limiter);
    } finally {
      this.#slots.release();
    }
  }

  private interpret<T>(
    spec: CallSpec<T>,
    status: number,
    text: string | undefined,
    readError: unknown,
    headers: RateHeaders,
    limiter: GroupLimiter,
  ): Attempt<T> {
    const where = { endpoint: spec.endpoint, status };
    const json = text === undefined ? undefined : parseJson(text);

    if (status === 429) {
      this.stats.rateLimited += 1;
      return { kind: "rate-limited", waitMs: limiter.blockAfter429(headers) };
    }
    // Braze documents 5xx as retryable (502 never reached it, 503 is capacity); a 504 may in
    // principle have reached Braze, but Braze's own guidance is to retry, and we follow it
    if (status >= 500) {
      return { kind: "server", status, message: this.brazeMessage(json, text) };
    }

    if (status >= 200 && status < 300) {
      // the request was processed; what the body would have said is lost
      if (text === undefined) {
        return this.lostConnection(readError);
      }
      if (json === undefined) {
        return {
          kind: "unknown",
          reason: "malformed-success",
          detail: `Braze answered ${status} with a body that is not JSON`,
        };
      }
      const parsed = spec.schema.safeParse(json.value);
      if (!parsed.success) {
        const issues = parsed.error.issues.map(
          (issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`,
        );
        return {
          kind: "fatal",
          error: new BrazeMalformedResponseError(
            `Braze answered ${status} to POST ${spec.endpoint} with a body that does not read ` +
              `as documented (${issues.slice(0, 3).join("; ")}); the request was applied, its ` +
              "details are unknown; report this with the endpoint and these issues",
            issues,
            where,
          ),
        };
      }
      return { kind: "ok", value: parsed.data };
    }

    const message = this.brazeMessage(json, text);
    if (status === 401) {
      return {
        kind: "fatal",
        error: new BrazeAuthError(
          `Braze refused the API key (401 ${message}) at ${this.endpoint}: check that ` +
            "BRAZE_API_KEY is a REST API key of this workspace and that BRAZE_REST_ENDPOINT " +
            "names the workspace's instance (a key of another instance also gets 401)",
          where,
        ),
      };
    }
    if (status === 403) {
      const permission = ENDPOINT_PERMISSIONS[spec.endpoint];
      return {
        kind: "fatal",
        error: new BrazePermissionError(
          `the API key lacks the ${permission} permission that POST ${spec.endpoint} needs ` +
            `(403 ${message}): add ${permission} to the key in the dashboard (Settings > APIs ` +
            "and Identifiers) or use a key that has it",
          permission,
          where,
        ),
      };
    }

    const details = this.scrubbed(
      isRecord(json?.value) && Array.isArray(json.value.errors) ? json.value.errors : [],
    );
    const hint =
      status === 404
        ? `: check BRAZE_REST_ENDPOINT (${this.endpoint}) names the REST host, not the dashboard`
        : details.length > 0
          ? `: ${JSON.stringify(details.slice(0, 3)).slice(0, 300)}`
          : "";
    return {
      kind: "fatal",
      error: new BrazeBadRequestError(
        `Braze refused POST ${spec.endpoint} with ${status} "${message}"${hint}`,
        message,
        details,
        where,
      ),
    };
  }

  private transportFailure<T>(err: unknown): Attempt<T> {
    if (err instanceof TransportError && err.phase === "connect") {
      return { kind: "not-sent", error: err };
    }
    return this.lostConnection(err);
  }

  // an error after the request may have been written: its outcome is unknown
  private lostConnection<T>(err: unknown): Attempt<T> {
    const code = err instanceof TransportError ? err.errorCode : errorCodeOf(err);
    const timeout = /TIMEOUT/i.test(code);
    return {
      kind: "unknown",
      reason: timeout ? "timeout" : "connection-lost",
      detail: timeout
        ? `no answer within timeoutMs=${this.#timeoutMs} (${code})`
        : `the connection was lost after the request was sent (${code})`,
      cause: err,
    };
  }

  private unknownOutcome<T>(
    spec: CallSpec<T>,
    result: Extract<Attempt<T>, { kind: "unknown" }>,
    attempts: number,
  ): BrazeOutcomeUnknownError {
    return new BrazeOutcomeUnknownError(
      `the outcome of POST ${spec.endpoint} is unknown: ${this.scrub(result.detail)}; Braze ` +
        "may or may not have applied it, and this call is not safe to re-send blindly; record " +
        "its objects as unknown and check what landed (e.g. with /users/export/ids) before " +
        "sending them again",
      result.reason,
      { endpoint: spec.endpoint, attempts, cause: result.cause },
    );
  }

  private exhausted<T>(
    spec: CallSpec<T>,
    result: Exclude<Attempt<T>, { kind: "ok" | "fatal" }>,
    attempts: number,
    elapsedMs: number,
  ): BrazeError {
    const tried = `${attempts} attempt${attempts === 1 ? "" : "s"} over ${(elapsedMs / 1000).toFixed(1)} s`;
    const limits = "raise retry.maxAttempts or retry.maxElapsedMs to wait longer";
    const context = { endpoint: spec.endpoint, attempts };
    switch (result.kind) {
      case "rate-limited":
        return new BrazeRateLimitError(
          `Braze kept answering 429 to POST ${spec.endpoint}: gave up after ${tried}; if other ` +
            `processes use the workspace, lower rateShare or concurrency, or ${limits}`,
          { ...context, status: 429 },
        );
      case "server":
        return new BrazeServerError(
          `Braze answered ${result.status} "${result.message}" to POST ${spec.endpoint} on ` +
            `every one of ${tried}; Braze documents 5xx as not applied and safe to retry: run ` +
            `it again later, or ${limits}`,
          { ...context, status: result.status },
        );
      case "not-sent":
        return new BrazeConnectionError(
          `cannot connect to ${this.endpoint} (${result.error.errorCode}) after ${tried}: ` +
            "check BRAZE_REST_ENDPOINT, DNS and the network; nothing was sent",
          { ...context, cause: result.error },
        );
      case "unknown":
        if (result.reason === "malformed-success") {
          return new BrazeMalformedResponseError(
            `Braze answered POST ${spec.endpoint} with an unreadable body on every one of ` +
              `${tried}; the request was probably applied (it is safe to re-send)`,
            [result.detail],
            context,
          );
        }
        return new BrazeOutcomeUnknownError(
          `the outcome of POST ${spec.endpoint} is unknown after ${tried}: ` +
            `${this.scrub(result.detail)}; the call is safe to re-send, run it again later`,
          result.reason,
          { ...context, cause: result.cause },
        );
    }
  }

  private limiter(group: RateGroup): GroupLimiter {
    let limiter = this.#limiters.get(group);
    if (limiter === undefined) {
      limiter = new GroupLimiter({
        setting: this.#limits[group],
        share: this.#share,
        marginMs: this.#marginMs,
      });
      this.#limiters.set(group, limiter);
    }
    return limiter;
  }

  // Braze's own message, or the start of the body when it has none
  private brazeMessage(json: { value: unknown } | undefined, text: string | undefined): string {
    if (isRecord(json?.value) && typeof json.value.message === "string") {
      return this.scrub(json.value.message).slice(0, 300);
    }
    return this.scrub((text ?? "").trim()).slice(0, 120) || "no message";
  }

  // the key never goes into an error, even if a server echoes it
  private scrub(text: string): string {
    return text.split(this.#apiKey).join("[redacted]");
  }

  private scrubbed(values: unknown[]): unknown[] {
    const text = JSON.stringify(values);
    return text.includes(this.#apiKey) ? (JSON.parse(this.scrub(text)) as unknown[]) : values;
  }
}

async function readText(body: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorCodeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : "UNKNOWN";
}

function withAttempts(error: BrazeError, attempts: number): BrazeError {
  (error as { attempts?: number }).attempts = attempts;
  return error;
}
