/**
 * What `android preview` and `android send-test` print: text for a person on stdout, or one
 * versioned JSON document with `--json`; each warning also on stderr. Tokens appear only as
 * the emulator's outbox gives them (their last 6 characters), the API key never.
 */
import { isDeepStrictEqual } from "node:util";
import {
  formatPreviewText,
  type AndroidPreview,
  type OutboxDelivery,
  type PreviewWarning,
  type ReceiverSettingStatus,
  type SendTestResult,
} from "../push/receivers";
import { log } from "./output";
import type { ReceiverDeclaration } from "./receiver-declaration";

/** Stable codes of what the CLI warns about beyond the preview's own warnings. */
export type CliWarningCode =
  /** An emulator device got another data map than the declaration predicts. */
  | "OUTBOX_DIFFERS"
  /** The emulator delivered the test push to no device of the setting's app. */
  | "NO_DELIVERY";

/** A preview warning, or one of the CLI's own. */
export type CliWarning =
  PreviewWarning | { readonly code: CliWarningCode; readonly message: string };

/** One device's push of a test send on the emulator, checked against the preview. */
export interface CheckedDelivery extends OutboxDelivery {
  /** Whether the device got exactly the previewed data map; absent for another app's device. */
  readonly matchesPreview?: boolean;
}

/** What a test send did, for printing. */
export interface SendTestReport {
  readonly sent: SendTestResult;
  /** Whether the endpoint is the emulator (so the outbox was read). */
  readonly emulator: boolean;
  readonly deliveries?: readonly CheckedDelivery[];
  readonly warnings: readonly CliWarning[];
}

/** Prints a preview; `--json` adds the stack and the construct path to the engine's document. */
export function printPreview(
  declaration: ReceiverDeclaration,
  preview: AndroidPreview,
  json: boolean,
): void {
  const { stack, manifest } = declaration;
  if (json) {
    const document = { ...preview, stack: stack.name, constructPath: manifest.construct_path };
    console.log(JSON.stringify(document, null, 2));
  } else {
    const how = preview.flatten === manifest.flatten ? "as declared" : "overriding the declaration";
    console.log(
      `${manifest.construct_path} in stack ${stack.name}, app "${manifest.app_name}": ` +
        `declared flatten ${manifest.flatten}, rendered ${preview.flatten} (${how})`,
    );
    process.stdout.write(formatPreviewText(preview));
  }
  warn(preview.warnings);
  for (const issue of preview.issues) {
    log(`warning: ${issue.code} (${issue.severity} of the declared setting): ${issue.message}`);
  }
}

/**
 * Checks each delivery of the setting's app against the preview and adds a warning for a
 * device that got something else, or for no device at all.
 */
export function compareDeliveries(
  outbox: readonly OutboxDelivery[],
  sent: SendTestResult,
  status: ReceiverSettingStatus | null,
  warnings: CliWarning[],
): CheckedDelivery[] {
  const appId = sent.expected.appId;
  const checked: CheckedDelivery[] = outbox.map((delivery) =>
    delivery.appId !== appId
      ? delivery
      : { ...delivery, matchesPreview: isDeepStrictEqual(delivery.payload, sent.expected.data) },
  );

  const ours = checked.filter((d) => d.appId === appId);
  if (ours.length === 0) {
    warnings.push({
      code: "NO_DELIVERY",
      message:
        `the emulator delivered the push to no device of app ${appId}: none of the ` +
        "external_ids holds a token of it; import one, or register one through POST " +
        "/_emulator/sdk-session",
    });
  }
  const differing = ours.filter((d) => d.matchesPreview === false);
  if (differing.length > 0) {
    const why =
      status?.state === "not_applied"
        ? status.detail
        : "the emulator rendered another map than the preview; run braze-push-migrate apply";
    warnings.push({
      code: "OUTBOX_DIFFERS",
      message:
        `${differing.length} of ${ours.length} devices got another data map than the ` +
        `declaration predicts: ${why}, then send again`,
    });
  }
  return checked;
}

/** Prints what a test send sent and, on the emulator, what each device got. */
export function printSendTest(
  declaration: ReceiverDeclaration,
  report: SendTestReport,
  json: boolean,
): void {
  const { stack, manifest } = declaration;
  const { sent } = report;
  if (json) {
    const document = {
      version: 1,
      stack: stack.name,
      constructPath: manifest.construct_path,
      target: report.emulator ? "emulator" : "braze",
      dispatchId: sent.dispatchId,
      sendId: sent.sendId,
      request: sent.request,
      expected: sent.expected,
      ...(report.deliveries === undefined ? {} : { deliveries: report.deliveries }),
      warnings: report.warnings,
    };
    console.log(JSON.stringify(document, null, 2));
    warn(report.warnings);
    return;
  }

  const expected = sent.expected;
  const lines = [
    `sent dispatch ${sent.dispatchId} to ${report.emulator ? "the emulator" : "Braze"} for ` +
      `external_ids ${sent.request.external_user_ids.join(", ")}`,
    `${manifest.construct_path} in stack ${stack.name}: ${expected.provider}, app ` +
      `"${manifest.app_name}" (${expected.appId}), send id ${sent.sendId}`,
    "android_push sent to /messages/send:",
    JSON.stringify(sent.request.messages.android_push, null, 2),
    `FCM data map a device of the app receives (${expected.flatten ? "flattened" : "not flattened"} ` +
      `as declared; cid is the dispatch id, ${report.emulator ? "as the emulator writes it" : "real Braze may write another value"}):`,
    JSON.stringify(expected.data, null, 2),
  ];
  if (report.deliveries === undefined) {
    lines.push(
      "Braze delivers on its own time: look at the test device (only the emulator has an " +
        "outbox to read)",
    );
  } else {
    lines.push(`emulator outbox, deliveries: ${report.deliveries.length}`);
    for (const delivery of report.deliveries) {
      const verdict =
        delivery.matchesPreview === undefined
          ? `app ${delivery.appId}, not the setting's`
          : delivery.matchesPreview
            ? "equals the preview"
            : "DIFFERS from the preview";
      lines.push(
        `  external_id ${delivery.externalId ?? "(none)"}, token ${delivery.token}: ${verdict}`,
      );
      lines.push(indent(JSON.stringify(delivery.payload, null, 2)));
    }
  }
  lines.push(
    report.warnings.length === 0 ? "warnings: none" : `warnings: ${report.warnings.length}`,
  );
  console.log(lines.join("\n"));
  warn(report.warnings);
}

function warn(warnings: readonly CliWarning[]): void {
  for (const warning of warnings) log(`warning: ${warning.code}: ${warning.message}`);
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}
