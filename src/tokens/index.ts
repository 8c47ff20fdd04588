/**
 * Token sources: reading a migrating team's token file, checking every row against Braze's and
 * the platforms' rules, and describing the batch by counts and a content digest. Engine code:
 * no cdktf or constructs import belongs here.
 */
export {
  readTokenSource,
  scanTokenFile,
  validateTokenFile,
  type TokenScan,
  type TokenSource,
} from "./token-source";
export { formatTokenIssue, lastSix, TokenSourceError, type TokenSourceErrorCode } from "./errors";
export {
  checkToken,
  DEVICE_ID_BYTES,
  EXTERNAL_ID_MAX_BYTES,
  FCM_MAX_LENGTH,
  FCM_MIN_LENGTH,
  type TokenCheck,
} from "./token-rules";
export { normalisedRow } from "./digest";
export { DEFAULT_KEEP_ISSUES } from "./report-builder";
export type * from "./types";
