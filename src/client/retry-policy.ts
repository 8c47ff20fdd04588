import { BrazeConfigError } from "./errors";

/** How the client retries what is safe to retry: 429, 5xx, connection failures. */
export interface RetryOptions {
  /**
   * Attempts per call, the first one included.
   * @default 8
   */
  readonly maxAttempts?: number;
  /**
   * Time one call may take across its attempts and waits, in ms; a retry that would end later is
   * not made.
   * @default 300000 (5 minutes)
   */
  readonly maxElapsedMs?: number;
  /**
   * First backoff ceiling, in ms; it doubles with each retry up to `maxDelayMs`.
   * @default 250
   */
  readonly baseDelayMs?: number;
  /**
   * Largest backoff ceiling, in ms.
   * @default 30000
   */
  readonly maxDelayMs?: number;
}

/** Retry settings with every default filled in. */
export type RetryPolicy = Required<RetryOptions>;

/** The defaults of `RetryOptions`. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  maxElapsedMs: 300_000,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
};

/**
 * Fills in the defaults and checks the values.
 *
 * @throws BrazeConfigError naming the bad setting
 */
export function resolveRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(options) };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new BrazeConfigError(
      `retry.maxAttempts must be a positive integer, got ${policy.maxAttempts}`,
    );
  }
  for (const key of ["maxElapsedMs", "baseDelayMs", "maxDelayMs"] as const) {
    if (!(policy[key] >= 0)) {
      throw new BrazeConfigError(`retry.${key} must be a number of ms >= 0, got ${policy[key]}`);
    }
  }
  return policy;
}

/**
 * Exponential backoff with full jitter: a uniformly random wait between 0 and
 * `min(maxDelayMs, baseDelayMs x 2^(retry - 1))`, so clients that failed together do not retry
 * together.
 *
 * @param retry 1 for the first retry
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
