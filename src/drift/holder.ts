import type { ExportedUser } from "../client/schemas";

/**
 * Who holds a token in Braze now, as far as an export tells.
 *
 * Braze's exports do not flag the temporary profiles `push_token_import` creates
 * (push_token_migration.md); they are told apart by what they lack: no external_id, no user
 * alias and no SDK session in any app (the export's `apps` field lists the apps a user logged
 * sessions in, post_users_identifier.md). A token on a profile that logged a session in the
 * token's app was registered by the SDK.
 */
export interface Holder {
  /** The profile's external_id, null for an anonymous profile. */
  readonly externalId: string | null;
  /** The profile logged an SDK session in the token's app. */
  readonly sdk: boolean;
  /** No external_id, no alias, no SDK session anywhere: a push_token_import profile. */
  readonly importProfile: boolean;
  readonly brazeId?: string;
}

/** One push token an exported user holds, with its app resolved to an app_id where known. */
export interface HeldToken {
  /** The app_id when the app name is a declared app's, else `name:<app name>`. */
  readonly appId: string;
  readonly appName: string;
  readonly token: string;
  readonly holder: Holder;
}

/** The fields a drift check asks exports for. */
export const DRIFT_EXPORT_FIELDS = [
  "external_id",
  "braze_id",
  "user_aliases",
  "push_tokens",
  "apps",
] as const;

/**
 * The push tokens an exported user holds, each with its holder.
 *
 * @param appIds app_id by app name, for the apps the declarations name
 */
export function heldTokens(user: ExportedUser, appIds: ReadonlyMap<string, string>): HeldToken[] {
  const tokens = user.push_tokens ?? [];
  if (tokens.length === 0) return [];

  const sessions = sessionApps(user);
  const externalId = user.external_id ?? null;
  const importProfile =
    externalId === null && (user.user_aliases ?? []).length === 0 && sessions.size === 0;
  return tokens.map((item) => ({
    appId: appIds.get(item.app) ?? `name:${item.app}`,
    appName: item.app,
    token: item.token,
    holder: {
      externalId,
      sdk: sessions.has(item.app),
      importProfile,
      brazeId: user.braze_id,
    },
  }));
}

// names of the apps a user logged SDK sessions in; `apps` passes through the client's schema
// unchecked, so its items are read defensively
function sessionApps(user: ExportedUser): Set<string> {
  const apps = (user as { apps?: unknown }).apps;
  const names = new Set<string>();
  if (!Array.isArray(apps)) return names;
  for (const app of apps) {
    if (
      typeof app === "object" &&
      app !== null &&
      typeof (app as { name?: unknown }).name === "string"
    ) {
      names.add((app as { name: string }).name);
    }
  }
  return names;
}
