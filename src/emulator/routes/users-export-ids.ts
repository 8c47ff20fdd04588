import type { UserRow } from "../store";
import { UserExporter } from "../user-export";
import {
  fatal,
  isObject,
  isUserAlias,
  type BrazeRoute,
  type RouteContext,
  type RouteResult,
} from "./route";

/** Fatal message for more than the allowed ids (_docs/_api/errors.md). */
export const TOO_MANY_IDS = "The max number of external_ids and aliases per request was exceeded";

/** Fatal message when `fields_to_export` is required and missing. */
export const FIELDS_REQUIRED =
  '\'fields_to_export\' is required: name the fields to export, e.g. ["external_id","push_tokens"]';

// fields that keep a request on the slower rate limit even with fields_to_export
// (post_users_identifier.md, rate limit section)
const SLOW_FIELDS = new Set<unknown>(["canvases_received", "campaigns_received"]);

/**
 * Validates `fields_to_export`: absent (when allowed) or an array of strings.
 * Returns the list, undefined for "every field", or a fatal answer.
 */
export function readFieldsToExport(
  ctx: RouteContext,
  body: Record<string, unknown>,
): string[] | undefined | RouteResult {
  const fields = body.fields_to_export;
  if (fields === undefined) {
    return ctx.config.limits.requireFieldsToExport ? fatal(400, FIELDS_REQUIRED) : undefined;
  }
  if (!Array.isArray(fields) || !fields.every((f) => typeof f === "string")) {
    return fatal(400, "'fields_to_export' must be an array of field names");
  }
  return fields as string[];
}

/**
 * POST /users/export/ids: profiles by external_id and user alias (up to 50 combined), or by one
 * device_id, braze_id, email_address or phone.
 * Source: _docs/_api/endpoints/export/user_data/post_users_identifier.md.
 */
export const usersExportIdsRoute: BrazeRoute = {
  permission: "users.export.ids",
  // the limit is raised from 250/min to 40/s when fields_to_export is given, unless it names
  // canvases_received or campaigns_received
  rateGroup: (body) =>
    isObject(body) &&
    Array.isArray(body.fields_to_export) &&
    !body.fields_to_export.some((field) => SLOW_FIELDS.has(field))
      ? "usersExportIdsWithFields"
      : "usersExportIds",
  handle: (ctx) => exportIds(ctx),
};

function exportIds(ctx: RouteContext): RouteResult {
  const { body, store } = ctx;
  if (!isObject(body)) return fatal(400, "Bad Request", ["the body must be a JSON object"]);

  const externalIds = body.external_ids ?? [];
  const aliases = body.user_aliases ?? [];
  if (!Array.isArray(externalIds) || !externalIds.every((id) => typeof id === "string")) {
    return fatal(400, "'external_ids' must be an array of strings");
  }
  if (!Array.isArray(aliases) || !aliases.every(isUserAlias)) {
    return fatal(400, "'user_aliases' must be an array of {alias_name, alias_label} objects");
  }
  if (externalIds.length + aliases.length > ctx.config.limits.idsPerRequest) {
    return fatal(400, TOO_MANY_IDS);
  }

  const single = (["device_id", "braze_id", "email_address", "phone"] as const).filter(
    (key) => body[key] !== undefined,
  );
  if (externalIds.length + aliases.length === 0 && single.length === 0) {
    return fatal(
      400,
      "one of 'external_ids', 'user_aliases', 'device_id', 'braze_id', 'email_address' or " +
        "'phone' is required",
    );
  }
  if (single.length > 1) {
    return fatal(
      400,
      `only one of 'device_id', 'braze_id', 'email_address' or 'phone' may be given, got ` +
        single.map((key) => `'${key}'`).join(" and "),
    );
  }
  for (const key of single) {
    if (typeof body[key] !== "string") return fatal(400, `'${key}' must be a string`);
  }

  const fields = readFieldsToExport(ctx, body);
  if (fields !== undefined && !Array.isArray(fields)) return fields;

  const found = new Map<number, UserRow>();
  const invalid: string[] = [];
  for (const id of externalIds as string[]) {
    const user = store.userByExternalId(id);
    if (user) found.set(user.id, user);
    else invalid.push(id);
  }
  for (const alias of aliases as { alias_name: string; alias_label: string }[]) {
    const user = store.userByAlias(alias);
    if (user) found.set(user.id, user);
  }
  const lookups = {
    device_id: (v: string) => store.userByDeviceId(v),
    braze_id: (v: string) => store.userByBrazeId(v),
    email_address: (v: string) => store.userByEmail(v),
    phone: (v: string) => store.userByPhone(v),
  };
  for (const key of single) {
    const user = lookups[key](body[key] as string);
    if (user) found.set(user.id, user);
  }

  const exporter = new UserExporter(store, fields);
  const answer: Record<string, unknown> = {
    message: "success",
    users: [...found.values()].map((user) => exporter.render(user)),
  };
  if (invalid.length > 0) answer.invalid_user_ids = invalid;
  return { status: 201, body: answer, objects: externalIds.length + aliases.length };
}
