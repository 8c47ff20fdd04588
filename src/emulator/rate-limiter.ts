import type { RateLimit } from "./config";

/** The outcome of counting one request against a rate limit. */
export interface RateDecision {
  /** Whether the request may proceed. */
  readonly allowed: boolean;
  /** The lower-case `x-ratelimit-*` headers to send with the response. */
  readonly headers: Record<string, string>;
}

/**
 * A fixed-window request counter for one endpoint group of a workspace, shared by every key.
 *
 * Windows are aligned to the epoch (a 3-second window starts at a multiple of 3 s), so
 * `x-ratelimit-reset` names the same instant for every caller in a window.
 * Source: _docs/_api/api_limits.md (rate-limit headers), post_user_track.md (MAU section).
 */
export class FixedWindowLimiter {
  private windowStart = 0;
  private used = 0;

  constructor(
    private readonly limit: RateLimit,
    private readonly resetFormat: "epoch-seconds" | "seconds-remaining",
  ) {}

  /** Counts one request at time `now` (ms) and says whether it is within the limit. */
  take(now = Date.now()): RateDecision {
    const windowMs = this.limit.windowSeconds * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.used = 0;
    }

    const allowed = this.used < this.limit.limit;
    if (allowed) this.used += 1;
    return { allowed, headers: this.headers(now, allowed) };
  }

  /** Headers for an answer given without counting (an injected 429, say): nothing remains. */
  exhausted(now = Date.now()): Record<string, string> {
    return this.headers(now, false, 0);
  }

  private headers(now: number, allowed: boolean, remaining?: number): Record<string, string> {
    const resetAtMs = this.windowStartFor(now) + this.limit.windowSeconds * 1000;
    const secondsLeft = Math.max(1, Math.ceil((resetAtMs - now) / 1000));
    const headers: Record<string, string> = {
      "x-ratelimit-limit": String(this.limit.limit),
      "x-ratelimit-remaining": String(remaining ?? Math.max(0, this.limit.limit - this.used)),
      "x-ratelimit-reset":
        this.resetFormat === "epoch-seconds"
          ? String(Math.ceil(resetAtMs / 1000))
          : String(secondsLeft),
    };
    if (!allowed) headers["x-ratelimit-retry-after"] = String(secondsLeft);
    return headers;
  }

  private windowStartFor(now: number): number {
    const windowMs = this.limit.windowSeconds * 1000;
    return Math.floor(now / windowMs) * windowMs;
  }
}
