// The CDKTF app: `cdktf synth` (cdktf.json) and `braze-push-migrate synth` run this file.
// It builds every stack declared in stacks/.
import { App } from "cdktf";
import { buildStacks } from "./stacks";

const app = new App();
buildStacks(app);
app.synth();
