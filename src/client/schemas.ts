import { z } from "zod";

/**
 * Shapes of Braze's answers as the client reads them. Objects are loose: fields Braze adds
 * later pass through untouched; only what the client relies on is checked.
 * Source: ../shared/braze-api.md and the endpoint pages it cites.
 */

/** The arrays of a /users/track request. */
export const TRACK_ARRAYS = ["attributes", "events", "purchases"] as const;

/** One array of a /users/track request. */
export type TrackArray = (typeof TRACK_ARRAYS)[number];

/** A non-fatal error item of /users/track: the object at `index` of `input_array` was rejected. */
export const trackErrorItemSchema = z.looseObject({
  type: z.string(),
  input_array: z.enum(TRACK_ARRAYS),
  index: z.number().int().nonnegative(),
});

/** The answer of /users/track (201). Counts may be absent. */
export const trackResponseSchema = z.looseObject({
  message: z.string(),
  attributes_processed: z.number().int().optional(),
  events_processed: z.number().int().optional(),
  purchases_processed: z.number().int().optional(),
  // items are read one by one: an unexpected item must not hide the mapped ones
  errors: z.array(z.unknown()).optional(),
});

/** A user alias: `{alias_name, alias_label}`. */
export const userAliasSchema = z.looseObject({
  alias_name: z.string(),
  alias_label: z.string(),
});

/** A user alias. */
export type UserAlias = z.infer<typeof userAliasSchema>;

/**
 * One push token of an exported user. `app` is the app's NAME, not its app_id; `platform` is
 * e.g. `iOS` or `Android`.
 */
export const exportedPushTokenSchema = z.looseObject({
  app: z.string(),
  platform: z.string(),
  token: z.string(),
  device_id: z.string().nullable().optional(),
  notifications_enabled: z.boolean().optional(),
  provisionally_opted_in: z.boolean().optional(),
});

/** One push token of an exported user. */
export type ExportedPushToken = z.infer<typeof exportedPushTokenSchema>;

/** One user as /users/export/ids and segment exports render it; other fields pass through. */
export const exportedUserSchema = z.looseObject({
  external_id: z.string().optional(),
  braze_id: z.string().optional(),
  user_aliases: z.array(userAliasSchema).optional(),
  push_tokens: z.array(exportedPushTokenSchema).optional(),
});

/** One exported user. */
export type ExportedUser = z.infer<typeof exportedUserSchema>;

/** The answer of /users/export/ids. */
export const exportIdsResponseSchema = z.looseObject({
  message: z.string(),
  users: z.array(exportedUserSchema),
  invalid_user_ids: z.array(z.string()).optional(),
});

/** The answer of /users/export/segment: `url` is absent when the export goes to cloud storage. */
export const segmentExportStartSchema = z.looseObject({
  message: z.string(),
  object_prefix: z.string(),
  url: z.string().optional(),
});

/** The answer of /users/delete. */
export const deleteResponseSchema = z.looseObject({
  deleted: z.number().int().nonnegative(),
});

/** The answer of /messages/send. */
export const messagesSendResponseSchema = z.looseObject({
  message: z.string(),
  dispatch_id: z.string(),
});

/**
 * An object of a /users/track request that Braze rejected, mapped back to what the caller sent.
 *
 * @typeParam R the caller's row type, as passed in `TrackOptions.rows`
 */
export interface TrackRejection<R = unknown> {
  /** Braze's error type, e.g. `BAD_PUSH_TOKEN_APP_ID`, or an older free-text type. */
  readonly type: string;
  /** The array the object was in. */
  readonly inputArray: TrackArray;
  /** Its 0-based index in that array. */
  readonly index: number;
  /** The object as sent. */
  readonly object: unknown;
  /** The caller's row at that index, when rows were given. */
  readonly row: R | undefined;
}
