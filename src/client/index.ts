/**
 * The Braze REST client: endpoints, rate limiting, retries and errors. Engine code: no cdktf.
 */
export * from "./braze-client";
export * from "./endpoint";
export * from "./errors";
export {
  DEFAULT_RATE_LIMITS,
  GroupLimiter,
  readRateHeaders,
  type GroupLimiterOptions,
  type RateGroup,
  type RateHeaders,
  type RateLimitSetting,
  type ResetFormat,
} from "./rate-limiter";
export { ENDPOINT_PERMISSIONS, type BrazeClientStats, type BrazeEndpoint } from "./request-engine";
export * from "./retry-policy";
export * from "./schemas";
export type { SegmentDownloadOptions } from "./segment-export";
export * from "./transport";
