import { randomUUID } from "node:crypto";
import {
  androidPushBytes,
  applePushBytes,
  renderAndroidPush,
  renderApplePush,
  RESERVED_APPLE_KEYS,
  type AndroidPushInput,
  type ApplePushInput,
} from "../../push/render";
import type { Store, UserRow } from "../store";
import { fatal, isObject, type BrazeRoute, type RouteContext, type RouteResult } from "./route";
import { TOO_MANY_IDS } from "./users-export-ids";

/** Fatal messages of /messages/send (_docs/_api/errors.md). */
export const MESSAGE_ERRORS = {
  noRecipients: "No Recipients",
  noMessage: "No message to send",
  tooManyRecipients: TOO_MANY_IDS,
  invalidExtra: "Invalid Extra Push Payload",
  androidTooLong: "Android Push Length Exceeded",
  appleTooLong: "Apple Push Length Exceeded",
} as const;

/**
 * POST /messages/send: sends a push now to external_user_ids (up to 50), user aliases, the
 * built-in all-users segment or a broadcast. The emulator renders what each device of the
 * recipients would receive and records it in the outbox instead of delivering it.
 * Source: _docs/_api/endpoints/messaging/send_messages/post_send_messages.md.
 */
export const messagesSendRoute: BrazeRoute = {
  permission: "messages.send",
  // sends to a segment or a broadcast have their own, lower limit (api_limits.md)
  rateGroup: (body) =>
    isObject(body) && (body.broadcast === true || body.segment_id !== undefined)
      ? "messagesBroadcast"
      : "messagesSend",
  handle: (ctx) => send(ctx),
};

function send(ctx: RouteContext): RouteResult {
  const { body, store, config } = ctx;
  if (!isObject(body)) return fatal(400, "Bad Request", ["the body must be a JSON object"]);

  // who receives it
  const externalIds = body.external_user_ids;
  const aliases = body.user_aliases;
  const segmentId = body.segment_id;
  const broadcast = body.broadcast === true;
  if (externalIds !== undefined) {
    if (!Array.isArray(externalIds) || !externalIds.every((id) => typeof id === "string")) {
      return fatal(400, "'external_user_ids' must be an array of strings");
    }
  }
  if (aliases !== undefined && !Array.isArray(aliases)) {
    return fatal(400, "'user_aliases' must be an array of {alias_name, alias_label} objects");
  }
  // external_user_ids and user_aliases count together against one limit (_docs/_api/errors.md)
  const targeted = (externalIds?.length ?? 0) + ((aliases as unknown[] | undefined)?.length ?? 0);
  if (targeted > config.limits.messageRecipientsPerRequest) {
    return fatal(400, MESSAGE_ERRORS.tooManyRecipients);
  }
  if (segmentId !== undefined && segmentId !== config.allUsersSegmentId) {
    return fatal(400, `segment_id "${String(segmentId)}" is not a segment of this workspace`);
  }
  if (targeted === 0 && segmentId === undefined && !broadcast) {
    return fatal(400, MESSAGE_ERRORS.noRecipients);
  }

  // what it says
  const messages = body.messages;
  if (!isObject(messages)) {
    return fatal(400, MESSAGE_ERRORS.noMessage, ["'messages' is required and must be an object"]);
  }
  const android = readPush(messages.android_push, "android_push");
  if (typeof android === "string") return fatal(400, android);
  const apple = readPush(messages.apple_push, "apple_push");
  if (typeof apple === "string") return fatal(400, apple);
  if (android === undefined && apple === undefined) {
    return fatal(400, MESSAGE_ERRORS.noMessage, [
      "'messages' must hold 'android_push' or 'apple_push'",
    ]);
  }
  if (apple?.extra && RESERVED_APPLE_KEYS.some((key) => key in apple.extra!)) {
    return fatal(400, MESSAGE_ERRORS.invalidExtra);
  }
  if (android && androidPushBytes(android) > config.limits.androidPushMaxBytes) {
    return fatal(400, MESSAGE_ERRORS.androidTooLong);
  }
  if (apple && applePushBytes(apple) > config.limits.applePushMaxBytes) {
    return fatal(400, MESSAGE_ERRORS.appleTooLong);
  }

  const dispatchId = randomUUID().replace(/-/g, "");
  const campaignId = typeof body.campaign_id === "string" ? body.campaign_id : dispatchId;
  const apps = new Map(store.apps().map((app) => [app.appId, app]));
  const deliver = (user: UserRow) => {
    for (const token of store.tokensOf(user.id)) {
      const app = apps.get(token.app_id);
      let payload: unknown;
      if (app?.platform === "android" && android) {
        payload = renderAndroidPush({ ...android, campaignId }, app.flatten === true).data;
      } else if (app?.platform === "ios" && apple) {
        payload = renderApplePush({ ...apple, campaignId });
      } else {
        continue;
      }
      store.addToOutbox({
        dispatch_id: dispatchId,
        external_id: user.external_id,
        app_id: token.app_id,
        platform: app.platform,
        token: token.token,
        payload: JSON.stringify(payload),
      });
    }
  };

  store.transaction(() => {
    if (segmentId !== undefined || broadcast) {
      forEachUser(store, deliver);
      return;
    }
    for (const id of (externalIds ?? []) as string[]) {
      const user = store.userByExternalId(id);
      if (user) deliver(user);
    }
    for (const alias of (aliases ?? []) as unknown[]) {
      if (!isObject(alias)) continue;
      const user = store.userByAlias({
        alias_name: String(alias.alias_name),
        alias_label: String(alias.alias_label),
      });
      if (user) deliver(user);
    }
  });
  return { status: 201, body: { message: "success", dispatch_id: dispatchId }, objects: targeted };
}

/** Reads `android_push` or `apple_push`; a string is the fatal message for a bad one. */
function readPush(
  value: unknown,
  name: string,
): (AndroidPushInput & ApplePushInput) | undefined | string {
  if (value === undefined) return undefined;
  if (!isObject(value)) return `'${name}' must be an object`;
  if (typeof value.alert !== "string") return `'${name}.alert' is required and must be a string`;
  if (value.title !== undefined && typeof value.title !== "string") {
    return `'${name}.title' must be a string`;
  }
  if (value.extra !== undefined && !isObject(value.extra)) return MESSAGE_ERRORS.invalidExtra;
  return {
    alert: value.alert,
    title: value.title as string | undefined,
    extra: value.extra as Record<string, unknown> | undefined,
    customUri: typeof value.custom_uri === "string" ? value.custom_uri : undefined,
  };
}

function forEachUser(store: Store, fn: (user: UserRow) => void): void {
  let after = 0;
  for (;;) {
    const page = store.usersPage(after, 1000);
    if (page.length === 0) return;
    page.forEach(fn);
    after = page[page.length - 1].id;
  }
}
