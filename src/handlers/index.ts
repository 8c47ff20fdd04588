/** The custom resource handlers Terraform's provisioners run. Engine code: no cdktf. */
export { runHandler } from "./run-handler";
export { processContext, type EmulatorAdmin, type HandlerContext } from "./handler-context";
export { HandlerError, type HandlerErrorCode } from "./handler-error";
