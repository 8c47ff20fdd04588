import type { Store, UserRow } from "../store";
import {
  byteLength,
  fatal,
  isObject,
  isUserAlias,
  type BrazeRoute,
  type RouteContext,
  type RouteResult,
} from "./route";

/**
 * Non-fatal error item of a /users/track answer: the object at `index` of `input_array` was
 * rejected, the rest of the request was processed.
 * Source: _docs/_api/endpoints/user_data/post_user_track.md (responses), _docs/_api/errors.md.
 */
export interface TrackErrorItem {
  readonly type: string;
  readonly input_array: "attributes" | "events" | "purchases";
  readonly index: number;
}

/** Error types of attribute objects, as Braze names them (post_user_track.md). */
export const TRACK_ERRORS = {
  badPushTokenAppId: "BAD_PUSH_TOKEN_APP_ID",
  badPushTokenImport: "BAD_PUSH_TOKEN_IMPORT",
  badPushTokenString: "BAD_PUSH_TOKEN_STRING",
  badPushTokenValue: "BAD_PUSH_TOKEN_VALUE",
  badDeviceId: "BAD_DEVICE_ID",
  externalIdTooLarge: "EXTERNAL_USER_ID_TOO_LARGE",
  emailBadFormat: "EMAIL_BAD_FORMAT",
  badPushSubscriptionState: "BAD_PUSH_SUBSCRIPTION_STATE",
  // older free-text types, still returned for these cases
  identifierRequired: "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required",
  oneIdentifier: "only one of 'external_id', 'braze_id' or 'user_alias' may be given",
  badExternalId: "'external_id' must be a non-empty string",
  badUserAlias: "'user_alias' must be an object with string 'alias_name' and 'alias_label'",
  notAnObject: "each item must be an object",
  eventName: "'name' is required and must be a string",
  purchaseProduct: "'product_id' is required and must be a string",
} as const;

/** Fatal message when no object of the request was valid (post_user_track.md). */
export const NOTHING_VALID =
  "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";

/** Fatal message when a request carries too many objects (_docs/_api/errors.md). */
export const MAX_INPUT_LENGTH = "Max Input Length Exceeded";

// keys of an attributes object that steer the request rather than describe the user
const CONTROL_KEYS = new Set([
  "external_id",
  "user_alias",
  "braze_id",
  "_update_existing_only",
  "push_token_import",
  "push_tokens",
  "email",
  "phone",
]);

const PUSH_SUBSCRIBE_STATES = new Set(["opted_in", "subscribed", "unsubscribed"]);
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface PushTokenInput {
  readonly app_id: string;
  readonly token: string;
  readonly device_id?: string;
}

/**
 * POST /users/track: record attributes, events and purchases; import push tokens.
 * Source: _docs/_api/endpoints/user_data/post_user_track.md,
 * _docs/_help/help_articles/push/push_token_migration.md,
 * _docs/_api/objects_filters/user_attributes_object.md.
 */
export const usersTrackRoute: BrazeRoute = {
  permission: "users.track",
  rateGroup: () => "usersTrack",
  handle: (ctx) => track(ctx),
};

function track(ctx: RouteContext): RouteResult {
  const { body, store, config } = ctx;
  if (!isObject(body)) return fatal(400, "Bad Request", ["the body must be a JSON object"]);

  const arrays = {
    attributes: body.attributes,
    events: body.events,
    purchases: body.purchases,
  };
  for (const [name, value] of Object.entries(arrays)) {
    if (value !== undefined && !Array.isArray(value)) {
      return fatal(400, "Bad Request", [`'${name}' must be an array`]);
    }
  }
  const attributes = (arrays.attributes ?? []) as unknown[];
  const events = (arrays.events ?? []) as unknown[];
  const purchases = (arrays.purchases ?? []) as unknown[];
  const objects = attributes.length + events.length + purchases.length;

  // the objects-per-request limit is fatal: nothing of the request is processed
  const { trackObjectsPerRequest: max, trackObjectsMode: mode } = config.limits;
  const over =
    mode === "combined"
      ? objects > max
      : attributes.length > max || events.length > max || purchases.length > max;
  if (over) return { ...fatal(400, MAX_INPUT_LENGTH), objects };

  const errors: TrackErrorItem[] = [];
  let attributesOk = 0;
  let eventsOk = 0;
  let purchasesOk = 0;

  store.transaction(() => {
    attributes.forEach((item, index) => {
      const type = applyAttributes(store, ctx, item);
      if (type === undefined) attributesOk += 1;
      else errors.push({ type, input_array: "attributes", index });
    });
    events.forEach((item, index) => {
      const type = checkEvent(item);
      if (type === undefined) eventsOk += 1;
      else errors.push({ type, input_array: "events", index });
    });
    purchases.forEach((item, index) => {
      const type = checkPurchase(item);
      if (type === undefined) purchasesOk += 1;
      else errors.push({ type, input_array: "purchases", index });
    });
    store.bump("events", eventsOk);
    store.bump("purchases", purchasesOk);
  });

  if (attributesOk + eventsOk + purchasesOk === 0) {
    return { ...fatal(400, NOTHING_VALID, errors), objects, errors: errors.length };
  }

  const answer: Record<string, unknown> = { message: "success" };
  if (arrays.attributes !== undefined) answer.attributes_processed = attributesOk;
  if (arrays.events !== undefined) answer.events_processed = eventsOk;
  if (arrays.purchases !== undefined) answer.purchases_processed = purchasesOk;
  if (errors.length > 0) answer.errors = errors;
  return { status: 201, body: answer, objects, errors: errors.length };
}

/** Validates and applies one attributes object; returns the error type when it is rejected. */
function applyAttributes(store: Store, ctx: RouteContext, item: unknown): string | undefined {
  if (!isObject(item)) return TRACK_ERRORS.notAnObject;

  const problem = checkAttributes(ctx, item);
  if (problem !== undefined) return problem;

  const tokens = (item.push_tokens ?? []) as PushTokenInput[];
  const fields = userFields(item);

  // anonymous import: one temporary profile per token Braze does not have yet; a token it has
  // already is ignored (push_token_migration.md). The store queues them; whatever reads or
  // writes profiles next, an identified object below included, sees them first
  if (item.push_token_import === true) {
    const attributes = withoutNulls(fields.attributes);
    const json = Object.keys(attributes).length > 0 ? JSON.stringify(attributes) : null;
    store.importAnonymous(
      tokens.map((t) => ({
        appId: t.app_id,
        token: t.token,
        deviceId: t.device_id,
        email: fields.email,
        phone: fields.phone,
        attributes: json,
      })),
    );
    return undefined;
  }

  const user = findOrCreate(store, item, fields);
  if (user === undefined) return undefined;
  for (const t of tokens) store.setToken(t.app_id, t.token, user.id, t.device_id);
  return undefined;
}

/** The error type of an attributes object that Braze would reject, if any. */
function checkAttributes(ctx: RouteContext, item: Record<string, unknown>): string | undefined {
  const hasExternalId = item.external_id !== undefined;
  const hasAlias = item.user_alias !== undefined;
  const hasBrazeId = item.braze_id !== undefined;

  if (item.push_token_import === true) {
    if (hasExternalId || hasBrazeId) return TRACK_ERRORS.badPushTokenImport;
    if (!Array.isArray(item.push_tokens) || item.push_tokens.length === 0) {
      return TRACK_ERRORS.badPushTokenImport;
    }
  } else {
    const primary = Number(hasExternalId) + Number(hasAlias) + Number(hasBrazeId);
    if (primary > 1) return TRACK_ERRORS.oneIdentifier;
    if (primary === 0 && item.email === undefined && item.phone === undefined) {
      return TRACK_ERRORS.identifierRequired;
    }
  }

  if (hasExternalId) {
    if (typeof item.external_id !== "string" || item.external_id === "") {
      return TRACK_ERRORS.badExternalId;
    }
    if (byteLength(item.external_id) > ctx.config.limits.externalIdMaxBytes) {
      return TRACK_ERRORS.externalIdTooLarge;
    }
  }
  if (hasAlias && !isUserAlias(item.user_alias)) return TRACK_ERRORS.badUserAlias;
  if (hasBrazeId && typeof item.braze_id !== "string") return TRACK_ERRORS.identifierRequired;
  if (item.email !== undefined && item.email !== null) {
    if (typeof item.email !== "string" || !EMAIL_SHAPE.test(item.email)) {
      return TRACK_ERRORS.emailBadFormat;
    }
  }
  if (
    item.push_subscribe !== undefined &&
    !PUSH_SUBSCRIBE_STATES.has(item.push_subscribe as string)
  ) {
    return TRACK_ERRORS.badPushSubscriptionState;
  }
  if (item.push_tokens !== undefined) return checkPushTokens(ctx, item.push_tokens);
  return undefined;
}

/** Checks `push_tokens`: an array of `{app_id, token, device_id?}` of the workspace's apps. */
function checkPushTokens(ctx: RouteContext, value: unknown): string | undefined {
  if (!Array.isArray(value)) return TRACK_ERRORS.badPushTokenValue;
  for (const t of value) {
    if (!isObject(t)) return TRACK_ERRORS.badPushTokenValue;
    if (typeof t.token !== "string" || t.token === "") return TRACK_ERRORS.badPushTokenString;
    if (typeof t.app_id !== "string") return TRACK_ERRORS.badPushTokenAppId;

    // web push subscriptions have another schema and cannot be imported through push_tokens
    // (push_token_migration.md), so a web app's app_id is refused like an unknown one
    const app = ctx.store.app(t.app_id);
    if (app === undefined || app.platform === "web") return TRACK_ERRORS.badPushTokenAppId;

    if (t.device_id !== undefined) {
      const bytes = typeof t.device_id === "string" ? byteLength(t.device_id) : 0;
      if (bytes < 8 || bytes > 255) return TRACK_ERRORS.badDeviceId;
    }
  }
  return undefined;
}

/** Resolves the profile an identified object names, creating it where Braze would. */
function findOrCreate(
  store: Store,
  item: Record<string, unknown>,
  fields: ReturnType<typeof userFields>,
): UserRow | undefined {
  const explicit = item._update_existing_only;

  let user: UserRow | undefined;
  let createDefault: boolean;
  if (typeof item.external_id === "string") {
    // with an external_id, _update_existing_only defaults to false (user_attributes_object.md)
    user = store.userByExternalId(item.external_id);
    createDefault = true;
  } else if (isUserAlias(item.user_alias)) {
    // with a user_alias it defaults to true
    user = store.userByAlias(item.user_alias);
    createDefault = false;
  } else if (typeof item.braze_id === "string") {
    // a braze_id names a profile that exists; there is nothing to create
    user = store.userByBrazeId(item.braze_id);
    createDefault = false;
  } else if (typeof item.email === "string") {
    user = store.userByEmail(item.email);
    createDefault = true;
  } else {
    user = store.userByPhone(item.phone as string);
    createDefault = true;
  }

  if (user !== undefined) {
    store.updateUser(user, {
      email: fields.email === undefined ? user.email : fields.email,
      phone: fields.phone === undefined ? user.phone : fields.phone,
      attributes: mergeAttributes(user.attributes, fields.attributes),
    });
    return store.user(user.id);
  }

  const create = typeof explicit === "boolean" ? !explicit : createDefault;
  if (!create || typeof item.braze_id === "string") return undefined;
  const id = store.createUser({
    externalId: typeof item.external_id === "string" ? item.external_id : null,
    email: fields.email,
    phone: fields.phone,
    attributes: withoutNulls(fields.attributes),
  });
  if (isUserAlias(item.user_alias)) store.addAlias(id, item.user_alias);
  return store.user(id);
}

/** The profile fields an attributes object sets: email, phone and the other attributes. */
function userFields(item: Record<string, unknown>): {
  email: string | null | undefined;
  phone: string | null | undefined;
  attributes: Record<string, unknown>;
} {
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (!CONTROL_KEYS.has(key)) attributes[key] = value;
  }
  return {
    email: item.email as string | null | undefined,
    phone: item.phone === undefined ? undefined : item.phone === null ? null : String(item.phone),
    attributes,
  };
}

/** Merges new attributes over stored ones; a null value removes the attribute. */
function mergeAttributes(stored: string | null, patch: Record<string, unknown>): string | null {
  if (Object.keys(patch).length === 0) return stored;
  const merged = stored === null ? {} : (JSON.parse(stored) as Record<string, unknown>);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return Object.keys(merged).length > 0 ? JSON.stringify(merged) : null;
}

// a null removes an attribute, so on a new profile it sets nothing
function withoutNulls(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== null));
}

// events and purchases are accepted and counted; the emulator keeps nothing else of them
function checkEvent(item: unknown): string | undefined {
  if (!isObject(item)) return TRACK_ERRORS.notAnObject;
  if (!hasIdentifier(item)) return TRACK_ERRORS.identifierRequired;
  if (typeof item.name !== "string" || item.name === "") return TRACK_ERRORS.eventName;
  return undefined;
}

function checkPurchase(item: unknown): string | undefined {
  if (!isObject(item)) return TRACK_ERRORS.notAnObject;
  if (!hasIdentifier(item)) return TRACK_ERRORS.identifierRequired;
  if (typeof item.product_id !== "string" || item.product_id === "") {
    return TRACK_ERRORS.purchaseProduct;
  }
  return undefined;
}

function hasIdentifier(item: Record<string, unknown>): boolean {
  return ["external_id", "user_alias", "braze_id", "email", "phone"].some(
    (key) => item[key] !== undefined,
  );
}
