import type { UserRow } from "../store";
import {
  fatal,
  isObject,
  isUserAlias,
  type BrazeRoute,
  type RouteContext,
  type RouteResult,
} from "./route";
import { TOO_MANY_IDS } from "./users-export-ids";

type Alias = { alias_name: string; alias_label: string };

/** Non-fatal error types of /users/identify items. */
export const IDENTIFY_ERRORS = {
  badItem: "each item needs a string 'external_id' and a 'user_alias' object",
  aliasNotFound: "user_alias not found",
  aliasIdentified: "user_alias belongs to a profile that already has another external_id",
  labelTaken:
    "the profile with this external_id already has an alias with this alias_label; " +
    "the profiles are not combined",
} as const;

/**
 * POST /users/delete: deletes up to 50 profiles named by ONE kind of identifier
 * (`external_ids`, `user_aliases` or `braze_ids`), with their tokens. Irreversible.
 * Source: _docs/_api/endpoints/user_data/post_user_delete.md.
 */
export const usersDeleteRoute: BrazeRoute = {
  permission: "users.delete",
  rateGroup: () => "usersDeleteIdentify",
  handle: (ctx) => deleteUsers(ctx),
};

/**
 * POST /users/identify: gives alias-only profiles an external_id. When a profile with that
 * external_id exists, the alias profile's push tokens and aliases move onto it and its other
 * data is orphaned (dropped here); otherwise the alias profile takes the external_id.
 * Source: _docs/_api/endpoints/user_data/post_user_identify.md.
 */
export const usersIdentifyRoute: BrazeRoute = {
  permission: "users.identify",
  rateGroup: () => "usersDeleteIdentify",
  handle: (ctx) => identify(ctx),
};

function deleteUsers(ctx: RouteContext): RouteResult {
  const { body, store } = ctx;
  if (!isObject(body)) return fatal(400, "Bad Request", ["the body must be a JSON object"]);

  const kinds = (["external_ids", "user_aliases", "braze_ids"] as const).filter(
    (key) => body[key] !== undefined,
  );
  if (kinds.length !== 1) {
    return fatal(400, "exactly one of 'external_ids', 'user_aliases' or 'braze_ids' must be given");
  }
  const kind = kinds[0];
  const ids = body[kind];
  if (!Array.isArray(ids)) return fatal(400, `'${kind}' must be an array`);
  if (ids.length > ctx.config.limits.idsPerRequest) return fatal(400, TOO_MANY_IDS);

  const valid =
    kind === "user_aliases" ? ids.every(isUserAlias) : ids.every((id) => typeof id === "string");
  if (!valid) {
    return fatal(
      400,
      kind === "user_aliases"
        ? "'user_aliases' must be an array of {alias_name, alias_label} objects"
        : `'${kind}' must be an array of strings`,
    );
  }

  let deleted = 0;
  store.transaction(() => {
    for (const id of ids) {
      const user: UserRow | undefined =
        kind === "external_ids"
          ? store.userByExternalId(id as string)
          : kind === "braze_ids"
            ? store.userByBrazeId(id as string)
            : store.userByAlias(id as Alias);
      if (user === undefined) continue;
      store.deleteUser(user.id);
      deleted += 1;
    }
  });
  return { status: 201, body: { message: "success", deleted }, objects: ids.length };
}

function identify(ctx: RouteContext): RouteResult {
  const { body, store } = ctx;
  if (!isObject(body) || !Array.isArray(body.aliases_to_identify)) {
    return fatal(400, "'aliases_to_identify' is required and must be an array");
  }
  const items = body.aliases_to_identify;
  if (items.length > ctx.config.limits.idsPerRequest) return fatal(400, TOO_MANY_IDS);

  const errors: { type: string; index: number }[] = [];
  let processed = 0;
  store.transaction(() => {
    items.forEach((item, index) => {
      if (
        !isObject(item) ||
        typeof item.external_id !== "string" ||
        !isUserAlias(item.user_alias)
      ) {
        errors.push({ type: IDENTIFY_ERRORS.badItem, index });
        return;
      }
      const aliasUser = store.userByAlias(item.user_alias);
      if (aliasUser === undefined) {
        errors.push({ type: IDENTIFY_ERRORS.aliasNotFound, index });
        return;
      }

      // only an alias-only profile is identified: one with another external_id stays as it is
      if (aliasUser.external_id !== null && aliasUser.external_id !== item.external_id) {
        errors.push({ type: IDENTIFY_ERRORS.aliasIdentified, index });
        return;
      }

      // a user has one alias per label, so a profile that has one with this label is not
      // combined with the alias-only profile (post_user_identify.md)
      const target = store.userByExternalId(item.external_id);
      const label = item.user_alias.alias_label;
      if (
        target !== undefined &&
        target.id !== aliasUser.id &&
        store.aliasesOf(target.id).some((alias) => alias.alias_label === label)
      ) {
        errors.push({ type: IDENTIFY_ERRORS.labelTaken, index });
        return;
      }

      if (target === undefined) {
        store.updateUser(aliasUser, { external_id: item.external_id, temporary: 0 });
      } else if (target.id !== aliasUser.id) {
        store.moveAliasesAndTokens(aliasUser.id, target.id);
        store.deleteUser(aliasUser.id);
      }
      processed += 1;
    });
  });

  const answer: Record<string, unknown> = { message: "success", aliases_processed: processed };
  if (errors.length > 0) answer.errors = errors;
  return { status: 201, body: answer, objects: items.length, errors: errors.length };
}
