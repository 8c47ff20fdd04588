import { Argument, type Command } from "commander";
import { getGlobalDispatcher } from "undici";
import { HandlerError } from "../handlers/handler-error";
import { processContext } from "../handlers/handler-context";
import { runHandler } from "../handlers/run-handler";
import { HANDLER_SUBCOMMAND, type HandlerEvent } from "../manifest/constants";
import { ManifestError } from "../manifest/manifest";
import { fail, log } from "./output";

/**
 * `braze-push-migrate handler <create|destroy>`: the stable internal command Terraform's
 * provisioners run. It reads the resource's manifest from the environment, reconciles it with
 * Braze and exits 1 with a message naming the construct path when it could not.
 */
export function registerHandlerCommand(program: Command): void {
  program
    .command(HANDLER_SUBCOMMAND)
    .description("internal: reconcile one resource for a Terraform provisioner")
    .addArgument(new Argument("<event>", "the provisioner's event").choices(["create", "destroy"]))
    .action(async (event: HandlerEvent) => {
      try {
        await runHandler(event, processContext(process.env, log));
      } catch (err) {
        if (err instanceof HandlerError || err instanceof ManifestError) fail(err.message);
        throw err;
      } finally {
        // idle keep-alive sockets of the shared agent would hold the process, and so
        // Terraform, open for the agent's idle timeout
        await getGlobalDispatcher().close();
      }
    });
}
