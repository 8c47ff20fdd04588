import { BrazeConfigError } from "./errors";

/**
 * A rate-limit group of a workspace: endpoints in one group share one counter at Braze.
 * Source: _docs/_api/api_limits.md and each endpoint's page.
 */
export type RateGroup =
  | "usersTrack"
  | "usersExportIds"
  | "usersExportIdsWithFields"
  | "usersExportSegment"
  | "usersDeleteIdentify"
  | "messagesBroadcast"
  | "messagesSend";

/** One limit: `limit` requests per `windowSeconds`, for the whole workspace. */
export interface RateLimitSetting {
  readonly limit: number;
  readonly windowSeconds: number;
}

/**
 * The limits Braze documents now; contracts differ, so each is a setting (`rateLimits`).
 *
 * - usersTrack: 3,000 per 3 s since 2024-10-28 (50,000 per minute before);
 * - usersExportIds: 250 per minute (2,500 before 2024-08-22), usersExportIdsWithFields: 40 per
 *   second when `fields_to_export` is given;
 * - usersExportSegment: 250,000 per hour (the general default);
 * - usersDeleteIdentify: /users/delete and /users/identify share 20,000 per minute;
 * - messagesBroadcast: 250 per minute to a segment or broadcast; messagesSend: 250,000 per hour.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateGroup, RateLimitSetting>> = {
  usersTrack: { limit: 3000, windowSeconds: 3 },
  usersExportIds: { limit: 250, windowSeconds: 60 },
  usersExportIdsWithFields: { limit: 40, windowSeconds: 1 },
  usersExportSegment: { limit: 250_000, windowSeconds: 3600 },
  usersDeleteIdentify: { limit: 20_000, windowSeconds: 60 },
  messagesBroadcast: { limit: 250, windowSeconds: 60 },
  messagesSend: { limit: 250_000, windowSeconds: 3600 },
};

/**
 * What `x-ratelimit-reset` holds. Braze's general page says UTC epoch seconds; the MAU section
 * of post_user_track.md says seconds remaining. `auto` reads a value above 1e9 as epoch seconds
 * (no window is 31 years long) and anything smaller as seconds remaining.
 */
export type ResetFormat = "auto" | "epoch-seconds" | "seconds-remaining";

/** The rate-limit headers of one answer, converted to instants of the local clock. */
export interface RateHeaders {
  /** `x-ratelimit-limit`: requests allowed per window, workspace-wide. */
  readonly limit?: number;
  /** `x-ratelimit-remaining`: requests left in the current window, workspace-wide. */
  readonly remaining?: number;
  /** `x-ratelimit-reset` as a local time in ms. */
  readonly resetAtMs?: number;
  /** `x-ratelimit-retry-after` (or a plain `retry-after`) in ms, on a 429. */
  readonly retryAfterMs?: number;
}

/**
 * Reads the `x-ratelimit-*` headers of an answer; absent or unreadable ones are left out.
 *
 * @param headers the answer's headers, names in lower case
 * @param nowMs the local time the answer arrived
 * @param format what `x-ratelimit-reset` holds
 */
export function readRateHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  nowMs: number,
  format: ResetFormat = "auto",
): RateHeaders {
  const limit = numberHeader(headers["x-ratelimit-limit"]);
  const remaining = numberHeader(headers["x-ratelimit-remaining"]);
  const reset = numberHeader(headers["x-ratelimit-reset"]);
  const retryAfter =
    numberHeader(headers["x-ratelimit-retry-after"]) ?? numberHeader(headers["retry-after"]);

  const epoch = format === "epoch-seconds" || (format === "auto" && (reset ?? 0) > 1e9);
  const out: { -readonly [K in keyof RateHeaders]: RateHeaders[K] } = {};
  if (limit !== undefined && limit > 0) out.limit = limit;
  if (remaining !== undefined && remaining >= 0) out.remaining = remaining;
  if (reset !== undefined && reset >= 0)
    out.resetAtMs = epoch ? reset * 1000 : nowMs + reset * 1000;
  if (retryAfter !== undefined && retryAfter >= 0) out.retryAfterMs = retryAfter * 1000;
  return out;
}

function numberHeader(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Settings of one group's limiter. */
export interface GroupLimiterOptions {
  /** The workspace's limit for the group. */
  readonly setting: RateLimitSetting;
  /** Share of the limit this process may use, in (0, 1]. */
  readonly share: number;
  /** Added to the window so latency differences cannot put two windows' requests in one. */
  readonly marginMs: number;
  /** Local clock, in ms. */
  readonly now?: () => number;
}

/**
 * The client-side limiter of one rate-limit group.
 *
 * Two rules, both must allow a request to start:
 *
 * 1. a sliding window over this process's own start times: at most `limit x share` starts in
 *    any `windowSeconds` (+ `marginMs`). It holds any fixed window Braze may count in, so one
 *    process alone never trips the limit;
 * 2. the server's word: after each answer, `x-ratelimit-remaining` minus the requests still in
 *    flight is the budget until `x-ratelimit-reset`; at zero, starts wait for the reset. This is
 *    what keeps several processes sharing one workspace honest, whatever their shares, and it
 *    picks up a lower `x-ratelimit-limit` than configured (a higher one is not adopted: the
 *    window length is not in the headers).
 *
 * A 429 blocks the whole group until its retry-after (or the reset). Starts are granted in
 * the order asked.
 */
export class GroupLimiter {
  private limit: number;
  private readonly spanMs: number;
  private readonly now: () => number;
  // start times within the span, ascending; `head` is the first still inside it
  private starts: number[] = [];
  private head = 0;
  private inFlight = 0;
  private budget: number | undefined;
  private budgetResetAt = 0;
  private blockedUntil = 0;
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly options: GroupLimiterOptions) {
    const { setting, share, marginMs } = options;
    if (!(share > 0 && share <= 1)) {
      throw new BrazeConfigError(`rateShare must be in (0, 1], got ${share}`);
    }
    if (!(Number.isInteger(setting.limit) && setting.limit > 0 && setting.windowSeconds > 0)) {
      throw new BrazeConfigError(
        `a rate limit needs a positive integer limit and a positive windowSeconds, got ` +
          `${JSON.stringify(setting)}`,
      );
    }

    this.limit = Math.max(1, Math.floor(setting.limit * share));
    this.spanMs = setting.windowSeconds * 1000 + marginMs;
    this.now = options.now ?? Date.now;
  }

  /** Requests this process may start per window now (after any correction by the headers). */
  get effectiveLimit(): number {
    return this.limit;
  }

  /** Waits for the right to start one request; call `settle` when its answer came (or not). */
  acquire(): Promise<void> {
    const granted = this.turn.then(() => this.waitForSlot());
    this.turn = granted.catch(() => undefined);
    return granted;
  }

  /**
   * Records the end of a request started with `acquire`, with the rate headers of its answer
   * when one came.
   */
  settle(headers: RateHeaders | undefined): void {
    this.inFlight -= 1;
    if (headers === undefined) return;
    const now = this.now();

    if (headers.limit !== undefined) {
      const learned = Math.max(1, Math.floor(headers.limit * this.options.share));
      if (learned < this.limit) this.limit = learned;
    }

    // a reset beyond one window is clock skew between us and Braze: cap it
    const resetAt = headers.resetAtMs === undefined ? undefined : this.capReset(headers.resetAtMs);
    if (headers.remaining !== undefined && resetAt !== undefined && resetAt > now) {
      const budget = headers.remaining - this.inFlight;
      // answers overtake each other: within one window the lowest word wins
      const sameWindow = this.budget !== undefined && this.budgetResetAt === resetAt;
      this.budget = sameWindow ? Math.min(this.budget!, budget) : budget;
      this.budgetResetAt = resetAt;
    }
  }

  /**
   * Blocks the group after a 429 and says how long: the retry-after, or the reset when it
   * comes sooner. A 429 with neither header (a second export of a running segment export, say)
   * blocks nothing and returns undefined: the caller backs off as for a 5xx.
   */
  blockAfter429(headers: RateHeaders): number | undefined {
    const now = this.now();
    const candidates: number[] = [];
    if (headers.retryAfterMs !== undefined) candidates.push(headers.retryAfterMs);
    if (headers.resetAtMs !== undefined) {
      const resetIn = this.capReset(headers.resetAtMs) - now;
      if (resetIn > 0) candidates.push(resetIn);
    }
    if (candidates.length === 0) return undefined;
    const wait = Math.min(...candidates);

    this.blockedUntil = Math.max(this.blockedUntil, now + wait);
    this.budget = 0;
    this.budgetResetAt = now + wait;
    return wait;
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.now();
      const wait = this.waitMs(now);
      if (wait <= 0) {
        this.starts.push(now);
        this.inFlight += 1;
        if (this.budget !== undefined) this.budget -= 1;
        return;
      }
      await sleep(wait);
    }
  }

  private waitMs(now: number): number {
    let until = this.blockedUntil;

    this.prune(now);
    const inWindow = this.starts.length - this.head;
    if (inWindow >= this.limit) {
      until = Math.max(until, this.starts[this.starts.length - this.limit] + this.spanMs);
    }

    if (this.budget !== undefined) {
      if (now >= this.budgetResetAt) this.budget = undefined;
      else if (this.budget <= 0) until = Math.max(until, this.budgetResetAt);
    }
    return until - now;
  }

  private prune(now: number): void {
    while (this.head < this.starts.length && this.starts[this.head] + this.spanMs <= now) {
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.head = 0;
    }
  }

  private capReset(resetAtMs: number): number {
    return Math.min(resetAtMs, this.now() + this.spanMs);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
