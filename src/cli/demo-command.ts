import { createHash } from "node:crypto";
import type { Command } from "commander";
import { request } from "undici";
import { startEmulator } from "../emulator/server";
import { log } from "./output";

/**
 * `braze-push-migrate demo` (`npm start`): starts an emulator in-process and walks through the
 * two kinds of token import Braze documents, showing what the workspace holds after each step.
 *
 * Shortcoming: until the import engine lands (issue 3) the demo sends hand-built requests
 * rather than importing a token file; it shows the emulator, not yet the migration flow.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run a sample token import against an embedded emulator")
    .action(async () => {
      const emulator = await startEmulator();
      try {
        await runDemo(emulator.url);
      } finally {
        await emulator.close();
      }
    });
}

const KEY = "local-dev-key";
const IOS = "00000000-0000-4000-8000-0000000000a1";
const ANDROID = "00000000-0000-4000-8000-0000000000a2";

async function runDemo(url: string): Promise<void> {
  log(`emulator started at ${url} (in memory, stops when the demo ends)`);

  const apns = (n: number) => createHash("sha256").update(`apns-${n}`).digest("hex");
  const fcm = (n: number) =>
    `d${n}x:APA91b${createHash("sha512").update(`fcm-${n}`).digest("base64url").slice(0, 140)}`;

  // identified import: known users with their iOS tokens
  const identified = Array.from({ length: 5 }, (_, i) => ({
    external_id: `user-${i + 1}`,
    push_tokens: [{ app_id: IOS, token: apns(i) }],
  }));
  const first = await call(url, "/users/track", { attributes: identified });
  log(`identified import of 5 iOS tokens: ${first.status} ${JSON.stringify(first.body)}`);

  // anonymous import: one temporary profile per token Braze does not have yet
  const anonymous = Array.from({ length: 8 }, (_, i) => ({
    push_token_import: true,
    push_tokens: [{ app_id: ANDROID, token: fcm(i) }],
  }));
  const second = await call(url, "/users/track", { attributes: anonymous });
  log(`anonymous import of 8 Android tokens: ${second.status} ${JSON.stringify(second.body)}`);
  const again = await call(url, "/users/track", { attributes: anonymous });
  log(`the same anonymous import again (Braze ignores known tokens): ${again.status}`);

  // a bad row is reported by index, the rest lands
  const mixed = await call(url, "/users/track", {
    attributes: [
      { external_id: "user-6", push_tokens: [{ app_id: "not-an-app", token: apns(6) }] },
      { external_id: "user-7", push_tokens: [{ app_id: IOS, token: apns(7) }] },
    ],
  });
  log(`one bad app_id among two rows: ${mixed.status} ${JSON.stringify(mixed.body)}`);

  const exported = await call(url, "/users/export/ids", {
    external_ids: ["user-1", "user-2", "user-6"],
    fields_to_export: ["external_id", "push_tokens"],
  });
  const users = (
    exported.body as {
      users: { external_id: string; push_tokens: { token: string; app: string }[] }[];
    }
  ).users;
  for (const user of users) {
    const tokens = user.push_tokens.map((t) => `${t.app} …${t.token.slice(-6)}`).join(", ");
    log(`exported ${user.external_id}: ${tokens}`);
  }
  log(
    `not found: ${JSON.stringify((exported.body as { invalid_user_ids?: string[] }).invalid_user_ids ?? [])}`,
  );

  const stats = await (await request(`${url}/_emulator/stats`)).body.json();
  log(`workspace now holds ${JSON.stringify(stats)}`);
  log(
    "next: `npm test` runs the test suite; `braze-push-migrate emulator --help` runs one yourself",
  );
}

async function call(url: string, path: string, body: unknown) {
  const res = await request(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as unknown };
}
