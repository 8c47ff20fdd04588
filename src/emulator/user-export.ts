import type { AppConfig } from "./config";
import type { Store, UserRow } from "./store";

// attributes Braze keeps as standard profile fields; every other attribute is a custom one
const STANDARD_ATTRIBUTES = [
  "first_name",
  "last_name",
  "country",
  "language",
  "time_zone",
  "home_city",
  "gender",
  "dob",
  "push_subscribe",
  "email_subscribe",
] as const;
const STANDARD = new Set<string>(STANDARD_ATTRIBUTES);

/**
 * The fields the emulator can export, as named in `fields_to_export`. Other names Braze knows
 * (purchases, custom_events, last_coordinates, ...) are accepted and left out of the answer.
 * Source: _docs/_api/endpoints/export/user_data/post_users_identifier.md.
 */
export const EXPORTABLE_FIELDS = [
  "external_id",
  "braze_id",
  "user_aliases",
  "email",
  "phone",
  "push_tokens",
  "devices",
  "apps",
  "custom_attributes",
  "created_at",
  ...STANDARD_ATTRIBUTES,
] as const;

const PLATFORM_NAMES: Record<string, string> = { ios: "iOS", android: "Android", web: "Web" };

/**
 * Renders profiles the way Braze's user exports do, restricted to `fields` (all when undefined).
 * App names are looked up once per call, not per token.
 */
export class UserExporter {
  private readonly apps = new Map<string, AppConfig>();
  private readonly fields: Set<string>;

  constructor(
    private readonly store: Store,
    fields: readonly string[] | undefined,
  ) {
    for (const app of store.apps()) this.apps.set(app.appId, app);
    this.fields = new Set(fields ?? EXPORTABLE_FIELDS);
  }

  /** One exported user object. */
  render(user: UserRow): Record<string, unknown> {
    const want = (field: string) => this.fields.has(field);
    const out: Record<string, unknown> = {};
    const attributes =
      user.attributes === null ? {} : (JSON.parse(user.attributes) as Record<string, unknown>);

    if (want("created_at")) out.created_at = new Date(user.created_at).toISOString();
    if (want("external_id") && user.external_id !== null) out.external_id = user.external_id;
    if (want("braze_id")) out.braze_id = this.store.brazeId(user.id);
    if (want("user_aliases")) {
      const aliases = this.store.aliasesOf(user.id);
      if (aliases.length > 0) out.user_aliases = aliases;
    }
    if (want("email") && user.email !== null) out.email = user.email;
    if (want("phone") && user.phone !== null) out.phone = user.phone;
    for (const name of STANDARD_ATTRIBUTES) {
      if (want(name) && attributes[name] !== undefined) out[name] = attributes[name];
    }
    if (want("custom_attributes")) {
      const custom = Object.entries(attributes).filter(([key]) => !STANDARD.has(key));
      if (custom.length > 0) out.custom_attributes = Object.fromEntries(custom);
    }

    if (want("apps")) {
      // apps the user logged sessions in through the SDK; a profile only the REST API wrote
      // (e.g. a push_token_import profile) has none, and the field is left out
      const sessions = this.store.sessionsOf(user.id);
      if (sessions.length > 0) {
        out.apps = sessions.map((s) => {
          const app = this.apps.get(s.app_id);
          return {
            name: app?.name ?? s.app_id,
            platform: PLATFORM_NAMES[app?.platform ?? ""] ?? "Unknown",
            sessions: s.sessions,
            first_used: new Date(s.first_used).toISOString(),
            last_used: new Date(s.last_used).toISOString(),
          };
        });
      }
    }

    if (want("push_tokens") || want("devices")) {
      const tokens = this.store.tokensOf(user.id);
      if (want("push_tokens")) {
        // `app` is the app's NAME, not its app_id (post_users_identifier.md)
        out.push_tokens = tokens.map((t) => {
          const app = this.apps.get(t.app_id);
          return {
            app: app?.name ?? t.app_id,
            platform: PLATFORM_NAMES[app?.platform ?? ""] ?? "Unknown",
            token: t.token,
            device_id: t.device_id,
            notifications_enabled: t.notifications_enabled === 1,
          };
        });
      }
      if (want("devices")) {
        out.devices = tokens.map((t) => ({
          device_id: t.device_id,
          os: PLATFORM_NAMES[this.apps.get(t.app_id)?.platform ?? ""] ?? "Unknown",
        }));
      }
    }
    return out;
  }
}
