/**
 * The two printed forms of an Android preview: text for a person, JSON for a test or a
 * pipeline. The data map is printed as JSON in both, so it can be pasted into a unit test of
 * the old receiver as it is.
 */
import type { AndroidPreview } from "./preview";

/** The preview as lines of text, ending with a newline. */
export function formatPreviewText(preview: AndroidPreview): string {
  const lines: string[] = [];
  const state = preview.flatten ? "flattened" : "not flattened";
  const need = preview.flattenRequired
    ? "the receiver reads top-level keys, so it needs flattening"
    : "the receiver does not need flattening";
  lines.push(`${preview.provider} receiver, app ${preview.appId}: ${state} (${need})`);
  lines.push(`send id ${preview.sendId} (new at every send: the receiver drops a repeat)`);
  if (preview.campaignId !== undefined) lines.push(`campaign_id ${preview.campaignId}`);

  lines.push("FCM data map Braze delivers:");
  lines.push(JSON.stringify(preview.data, null, 2));

  const { bytes } = preview;
  lines.push(
    `sizes: alert + extra ${bytes.androidPush} of ${bytes.androidPushLimit} bytes, ` +
      `data map ${bytes.payload} of ${bytes.payloadLimit} bytes`,
  );

  if (preview.issues.length > 0) {
    lines.push(`setting issues (${preview.issues.length}):`);
    for (const issue of preview.issues) {
      lines.push(`  ${issue.severity} ${issue.code}: ${issue.message}`);
    }
  }
  if (preview.warnings.length === 0) {
    lines.push("warnings: none");
  } else {
    lines.push(`warnings (${preview.warnings.length}):`);
    for (const warning of preview.warnings) lines.push(`  ${warning.code}: ${warning.message}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The preview as one JSON document (with its `version`), ending with a newline. */
export function formatPreviewJson(preview: AndroidPreview): string {
  return `${JSON.stringify(preview, null, 2)}\n`;
}
