/**
 * One test push through /messages/send with a receiver setting's pairs in `extra`, so a team
 * sees on a test device (or in the emulator's outbox) what the old receiver makes of it.
 */
import { randomUUID } from "node:crypto";
import type { BrazeClient } from "../../client";
import { androidPushBytes } from "../render";
import { ReceiverError } from "./errors";
import {
  androidPushRequest,
  DEFAULT_ANDROID_PAYLOAD_LIMITS,
  previewAndroidPush,
  type AndroidPayloadLimits,
  type AndroidPreview,
  type AndroidPushRequest,
  type ReceiverMessage,
} from "./preview";
import type { ResolvedReceiverSetting } from "./resolve";

/** Recipients one /messages/send takes by external_user_ids (_docs/_api/errors.md). */
const MAX_RECIPIENTS = 50;

/** What to send in a test push. */
export interface SendTestOptions {
  /** The receiver setting whose pairs go in `extra`; its app is the one the result describes. */
  readonly setting: ResolvedReceiverSetting;
  readonly message: ReceiverMessage;
  /** external_ids of test users, 1 to 50; Braze sends to every Android device they have. */
  readonly externalIds: readonly string[];
  /**
   * The per-send id the preset writes.
   * @default a new random UUID
   */
  readonly sendId?: string;
  /** @default DEFAULT_ANDROID_PAYLOAD_LIMITS */
  readonly limits?: AndroidPayloadLimits;
}

/** The /messages/send body a test push sends (a type, not an interface, so it is a body). */
export type SendTestRequest = {
  readonly external_user_ids: readonly string[];
  readonly campaign_id?: string;
  readonly messages: { readonly android_push: AndroidPushRequest };
};

/** What a test push sent, and what a device of the setting's app should receive. */
export interface SendTestResult {
  /** Braze's dispatch id of the send. */
  readonly dispatchId: string;
  readonly sendId: string;
  /** The body sent, as sent (it holds neither key nor token). */
  readonly request: SendTestRequest;
  /**
   * The preview of what a device of the app receives, in the app's declared flattening. Its
   * `cid` is the campaign_id, or without one the dispatch id, which is what the emulator
   * writes; real Braze may write another value there.
   */
  readonly expected: AndroidPreview;
}

/**
 * Sends one test push with the setting's pairs. Never re-sent when its outcome is unknown (a
 * second push would show twice); that error comes from the client as BRAZE_OUTCOME_UNKNOWN.
 *
 * @throws ReceiverError `SEND_TEST_RECIPIENTS` without recipients or with more than 50, and
 *   `SEND_TEST_TOO_LONG` when alert plus extra is over the limit; nothing is sent then
 * @throws BrazeError from the client for what Braze refused
 */
export async function sendTestPush(
  client: BrazeClient,
  options: SendTestOptions,
): Promise<SendTestResult> {
  const { setting, message } = options;
  const ids = options.externalIds;
  if (ids.length === 0 || ids.length > MAX_RECIPIENTS) {
    throw new ReceiverError(
      "SEND_TEST_RECIPIENTS",
      `a test push goes to 1 to ${MAX_RECIPIENTS} external_ids, got ${ids.length}: ` +
        `name the test users with --external-id`,
    );
  }
  const blank = ids.findIndex((id) => typeof id !== "string" || id.trim() === "");
  if (blank >= 0) {
    throw new ReceiverError(
      "SEND_TEST_RECIPIENTS",
      `external_id number ${blank + 1} of the test push is empty: give a test user's external_id`,
    );
  }

  // braze would refuse it as a whole; say why before anything leaves
  const sendId = options.sendId ?? randomUUID();
  const limit =
    options.limits?.androidPushMaxBytes ?? DEFAULT_ANDROID_PAYLOAD_LIMITS.androidPushMaxBytes;
  const { request: androidPush } = androidPushRequest(setting, message, sendId);
  const bytes = androidPushBytes({ alert: androidPush.alert, extra: androidPush.extra });
  if (bytes > limit) {
    throw new ReceiverError(
      "SEND_TEST_TOO_LONG",
      `the test push's alert plus extra is ${bytes} bytes, over Braze's ${limit}: nothing was ` +
        `sent; shorten the alert or the pairs`,
    );
  }

  const request: SendTestRequest = {
    external_user_ids: [...ids],
    ...(message.campaignId === undefined ? {} : { campaign_id: message.campaignId }),
    messages: { android_push: androidPush },
  };
  const { dispatchId } = await client.sendMessage(request);

  const expected = previewAndroidPush(
    setting,
    { ...message, campaignId: message.campaignId ?? dispatchId },
    { sendId, limits: options.limits },
  );
  return { dispatchId, sendId, request, expected };
}
