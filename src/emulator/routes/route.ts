import type { EmulatorConfig, Permission, RateLimits } from "../config";
import type { Store } from "../store";

/** What a Braze endpoint handler sees of a request. */
export interface RouteContext {
  readonly store: Store;
  readonly config: EmulatorConfig;
  /** The parsed JSON body. */
  readonly body: unknown;
  /** Base URL of the emulator, for URLs it hands out (segment export downloads). */
  readonly baseUrl: string;
}

/** A handler's answer. */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  /** Objects the request carried, for the request log. */
  readonly objects?: number;
  /** Non-fatal error items in the answer, for the request log. */
  readonly errors?: number;
}

/** A rate-limit group of the workspace: endpoints in one group share one counter. */
export type RateGroup = Exclude<keyof RateLimits, "resetFormat">;

/** One Braze REST endpoint of the emulator. */
export interface BrazeRoute {
  /** The key permission it needs. */
  readonly permission: Permission;
  /** Which rate limit a request counts against (it may depend on the body). */
  rateGroup(body: unknown): RateGroup;
  handle(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

/** A fatal error answer: `{"message": ..., "errors"?: [...]}`. */
export function fatal(status: number, message: string, errors?: unknown[]): RouteResult {
  return { status, body: errors ? { message, errors } : { message } };
}

/** Whether a value is a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A user alias object: `{alias_name, alias_label}`, both strings. */
export function isUserAlias(value: unknown): value is { alias_name: string; alias_label: string } {
  return (
    isObject(value) && typeof value.alias_name === "string" && typeof value.alias_label === "string"
  );
}

/** Byte length of a string in UTF-8. */
export function byteLength(value: string): number {
  return Buffer.byteLength(value, "utf8");
}
