// The CDKTF app: `cdktf synth` (cdktf.json) and `braze-push-migrate synth` run this file.
// It builds every stack declared in stacks/, reads their token files, then synthesises.
import { App } from "cdktf";
import { synthMigrations } from "./src/constructs";
import { buildStacks } from "./stacks";

const app = new App();
buildStacks(app);
synthMigrations(app).catch((err: unknown) => {
  console.error(`braze-push-migrate: error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
