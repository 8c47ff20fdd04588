/**
 * The entry point of every provisioner: parse the manifest Terraform passed, dispatch on its
 * kind, and let a failure propagate so the CLI exits non-zero and Terraform marks the resource
 * failed (the next apply creates it again, resuming from the ledger).
 */
import { HANDLER_ENV, type HandlerEvent } from "../manifest/constants";
import { parseManifest } from "../manifest/manifest";
import { handleApp } from "./app-handler";
import { handleBatch } from "./batch-handler";
import type { HandlerContext } from "./handler-context";
import { handleReceiverSettings } from "./receiver-settings-handler";

/** Reconciles the resource whose manifest is in the context's environment. */
export async function runHandler(event: HandlerEvent, ctx: HandlerContext): Promise<void> {
  const manifest = parseManifest(ctx.env[HANDLER_ENV.manifest], HANDLER_ENV.manifest);
  switch (manifest.kind) {
    case "app":
      return handleApp(event, manifest, ctx);
    case "android-receiver-settings":
      return handleReceiverSettings(event, manifest, ctx);
    case "token-import-batch":
      return handleBatch(event, manifest, ctx);
  }
}
