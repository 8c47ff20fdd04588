import { admin, APP, apnsToken, fcmToken, post, useEmulator, type Answer } from "../helpers";

const TOO_MANY_IDS = "The max number of external_ids and aliases per request was exceeded";
const ONE_KIND = "exactly one of 'external_ids', 'user_aliases' or 'braze_ids' must be given";

describe("POST /users/delete", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
  });

  it("deletes profiles by external_ids with their tokens and answers how many", async () => {
    await importIdentified(url(), "del-1", apnsToken(1));
    await importIdentified(url(), "del-2", apnsToken(2));
    await importIdentified(url(), "del-3", apnsToken(3));

    const answer = await post(url(), "/users/delete", { external_ids: ["del-1", "del-2"] });

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ message: "success", deleted: 2 });
    expect(await tokenHeld(url(), APP.ios, apnsToken(1))).toBe(false);
    expect(await tokenHeld(url(), APP.ios, apnsToken(2))).toBe(false);
    expect(await tokenHeld(url(), APP.ios, apnsToken(3))).toBe(true);
    expect((await stats(url())).users).toBe(1);
    expect(await exportIds(url(), ["del-1", "del-2", "del-3"])).toEqual({
      users: ["del-3"],
      invalid: ["del-1", "del-2"],
    });
  });

  it("counts only the profiles it found", async () => {
    await importIdentified(url(), "del-4", apnsToken(4));

    const answer = await post(url(), "/users/delete", { external_ids: ["del-4", "nobody"] });

    expect(answer.body).toEqual({ message: "success", deleted: 1 });
  });

  it("deletes profiles by braze_ids", async () => {
    await importIdentified(url(), "del-5", apnsToken(5));
    await importIdentified(url(), "del-6", apnsToken(6));
    const brazeId = await brazeIdOf(url(), "del-5");

    const answer = await post(url(), "/users/delete", { braze_ids: [brazeId] });

    expect(answer.body).toEqual({ message: "success", deleted: 1 });
    expect(await tokenHeld(url(), APP.ios, apnsToken(5))).toBe(false);
    expect(await tokenHeld(url(), APP.ios, apnsToken(6))).toBe(true);
  });

  it("deletes profiles by user_aliases", async () => {
    await importAlias(url(), { alias_name: "a-1", alias_label: "crm" }, fcmToken(1));
    await importAlias(url(), { alias_name: "a-2", alias_label: "crm" }, fcmToken(2));

    const answer = await post(url(), "/users/delete", {
      user_aliases: [{ alias_name: "a-1", alias_label: "crm" }],
    });

    expect(answer.body).toEqual({ message: "success", deleted: 1 });
    expect(await tokenHeld(url(), APP.android, fcmToken(1))).toBe(false);
    expect(await tokenHeld(url(), APP.android, fcmToken(2))).toBe(true);
    expect((await stats(url())).users).toBe(1);
  });

  it("refuses two kinds of identifier in one request and deletes nothing", async () => {
    await importIdentified(url(), "del-7", apnsToken(7));
    const brazeId = await brazeIdOf(url(), "del-7");

    const answer = await post(url(), "/users/delete", {
      external_ids: ["del-7"],
      braze_ids: [brazeId],
    });

    expectFatal(answer, ONE_KIND);
    expect((await stats(url())).users).toBe(1);
  });

  it("refuses a request that names no identifier", async () => {
    expectFatal(await post(url(), "/users/delete", {}), ONE_KIND);
  });

  it("refuses more than 50 ids and deletes nothing", async () => {
    await importIdentified(url(), "del-0", apnsToken(100));
    const ids = Array.from({ length: 51 }, (_, i) => `del-${i}`);

    expectFatal(await post(url(), "/users/delete", { external_ids: ids }), TOO_MANY_IDS);
    expect((await stats(url())).users).toBe(1);
  });

  it("accepts exactly 50 ids", async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `none-${i}`);

    const answer = await post(url(), "/users/delete", { external_ids: ids });

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ message: "success", deleted: 0 });
  });

  it("refuses ids of the wrong type", async () => {
    expectFatal(
      await post(url(), "/users/delete", { external_ids: [1, 2] }),
      "'external_ids' must be an array of strings",
    );
    expectFatal(
      await post(url(), "/users/delete", { user_aliases: [{ alias_name: "x" }] }),
      "'user_aliases' must be an array of {alias_name, alias_label} objects",
    );
    expectFatal(
      await post(url(), "/users/delete", { braze_ids: "abc" }),
      "'braze_ids' must be an array",
    );
  });
});

describe("POST /users/identify", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;

  beforeEach(async () => {
    await admin(url(), "POST", "/reset");
  });

  it("merges an alias-only profile into the profile that has the external_id", async () => {
    // GIVEN a known user with an iOS token and an alias-only profile with an Android token
    await importIdentified(url(), "known-1", apnsToken(11));
    const alias = { alias_name: "anon-11", alias_label: "legacy_push" };
    await importAlias(url(), alias, fcmToken(11));
    const knownBrazeId = await brazeIdOf(url(), "known-1");
    expect((await stats(url())).users).toBe(2);

    // WHEN the alias is identified as that user
    const answer = await post(url(), "/users/identify", {
      aliases_to_identify: [{ external_id: "known-1", user_alias: alias }],
    });

    // THEN both tokens and the alias are on the known profile and the alias profile is gone
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ message: "success", aliases_processed: 1 });
    expect((await stats(url())).users).toBe(1);
    const exported = await post(url(), "/users/export/ids", {
      external_ids: ["known-1"],
      fields_to_export: ["external_id", "braze_id", "user_aliases", "push_tokens"],
    });
    const user = exported.body.users[0];
    expect(user.braze_id).toBe(knownBrazeId);
    expect(user.user_aliases).toEqual([alias]);
    expect(user.push_tokens.map((t: { token: string }) => t.token).sort()).toEqual(
      [apnsToken(11), fcmToken(11)].sort(),
    );
    expect(await tokenLookup(url(), APP.android, fcmToken(11))).toMatchObject({
      held: true,
      external_id: "known-1",
      braze_id: knownBrazeId,
    });
  });

  it("gives the alias-only profile the external_id when no profile has it", async () => {
    const alias = { alias_name: "anon-12", alias_label: "legacy_push" };
    await importAlias(url(), alias, fcmToken(12));
    const before = await tokenLookup(url(), APP.android, fcmToken(12));

    const answer = await post(url(), "/users/identify", {
      aliases_to_identify: [{ external_id: "new-12", user_alias: alias }],
    });

    expect(answer.body).toEqual({ message: "success", aliases_processed: 1 });
    expect((await stats(url())).users).toBe(1);
    expect(await tokenLookup(url(), APP.android, fcmToken(12))).toEqual({
      held: true,
      braze_id: before.braze_id,
      external_id: "new-12",
      temporary: false,
      device_id: before.device_id,
    });
  });

  it("does not combine profiles when the identified one has an alias with the same label", async () => {
    // GIVEN known-2 holding the alias anon-21 of label legacy_push (from an earlier identify)
    await importIdentified(url(), "known-2", apnsToken(21));
    const first = { alias_name: "anon-21", alias_label: "legacy_push" };
    await importAlias(url(), first, fcmToken(21));
    await post(url(), "/users/identify", {
      aliases_to_identify: [{ external_id: "known-2", user_alias: first }],
    });
    const second = { alias_name: "anon-22", alias_label: "legacy_push" };
    await importAlias(url(), second, fcmToken(22));

    // WHEN another alias of the same label is identified as known-2
    const answer = await post(url(), "/users/identify", {
      aliases_to_identify: [{ external_id: "known-2", user_alias: second }],
    });

    // THEN the alias-only profile stays apart with its token
    expect(answer.body).toEqual({
      message: "success",
      aliases_processed: 0,
      errors: [
        {
          type:
            "the profile with this external_id already has an alias with this alias_label; " +
            "the profiles are not combined",
          index: 0,
        },
      ],
    });
    expect((await stats(url())).users).toBe(2);
    expect(await tokenLookup(url(), APP.android, fcmToken(22))).toMatchObject({
      held: true,
      external_id: null,
    });
  });

  it("leaves a profile that already has another external_id as it is", async () => {
    // GIVEN an alias whose profile was identified as first-31
    const alias = { alias_name: "anon-31", alias_label: "legacy_push" };
    await importAlias(url(), alias, fcmToken(31));
    await post(url(), "/users/identify", {
      aliases_to_identify: [{ external_id: "first-31", user_alias: alias }],
    });

    // WHEN the same alias is identified as another external_id
    const answer = await post(url(), "/users/identify", {
      aliases_to_identify: [{ external_id: "second-31", user_alias: alias }],
    });

    // THEN the profile keeps its external_id
    expect(answer.body).toEqual({
      message: "success",
      aliases_processed: 0,
      errors: [
        {
          type: "user_alias belongs to a profile that already has another external_id",
          index: 0,
        },
      ],
    });
    expect(await exportIds(url(), ["first-31", "second-31"])).toEqual({
      users: ["first-31"],
      invalid: ["second-31"],
    });
  });

  it("reports an unknown alias by index and processes the rest", async () => {
    const alias = { alias_name: "anon-13", alias_label: "legacy_push" };
    await importAlias(url(), alias, fcmToken(13));

    const answer = await post(url(), "/users/identify", {
      aliases_to_identify: [
        { external_id: "x-1", user_alias: { alias_name: "ghost", alias_label: "legacy_push" } },
        { external_id: "x-2", user_alias: alias },
        { external_id: 7, user_alias: alias },
      ],
    });

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      message: "success",
      aliases_processed: 1,
      errors: [
        { type: "user_alias not found", index: 0 },
        { type: "each item needs a string 'external_id' and a 'user_alias' object", index: 2 },
      ],
    });
  });

  it("refuses more than 50 aliases", async () => {
    const items = Array.from({ length: 51 }, (_, i) => ({
      external_id: `x-${i}`,
      user_alias: { alias_name: `n-${i}`, alias_label: "l" },
    }));

    expectFatal(await post(url(), "/users/identify", { aliases_to_identify: items }), TOO_MANY_IDS);
  });

  it("refuses a body without aliases_to_identify", async () => {
    expectFatal(
      await post(url(), "/users/identify", {}),
      "'aliases_to_identify' is required and must be an array",
    );
  });
});

// --- helpers ------------------------------------------------------------------------------

async function importIdentified(baseUrl: string, externalId: string, token: string) {
  const answer = await post(baseUrl, "/users/track", {
    attributes: [{ external_id: externalId, push_tokens: [{ app_id: APP.ios, token }] }],
  });
  expect(answer.body).toEqual({ message: "success", attributes_processed: 1 });
}

// an alias-only profile: _update_existing_only defaults to true with a user_alias
async function importAlias(
  baseUrl: string,
  alias: { alias_name: string; alias_label: string },
  token: string,
) {
  const answer = await post(baseUrl, "/users/track", {
    attributes: [
      {
        user_alias: alias,
        _update_existing_only: false,
        push_tokens: [{ app_id: APP.android, token }],
      },
    ],
  });
  expect(answer.body).toEqual({ message: "success", attributes_processed: 1 });
}

async function brazeIdOf(baseUrl: string, externalId: string): Promise<string> {
  const answer = await post(baseUrl, "/users/export/ids", {
    external_ids: [externalId],
    fields_to_export: ["braze_id"],
  });
  return answer.body.users[0].braze_id;
}

async function exportIds(baseUrl: string, externalIds: string[]) {
  const answer = await post(baseUrl, "/users/export/ids", {
    external_ids: externalIds,
    fields_to_export: ["external_id"],
  });
  return {
    users: answer.body.users.map((u: { external_id: string }) => u.external_id),
    invalid: answer.body.invalid_user_ids ?? [],
  };
}

async function tokenLookup(baseUrl: string, appId: string, token: string) {
  const query = new URLSearchParams({ app_id: appId, token });
  return (await admin(baseUrl, "GET", `/tokens?${query}`)).body;
}

async function tokenHeld(baseUrl: string, appId: string, token: string): Promise<boolean> {
  return (await tokenLookup(baseUrl, appId, token)).held;
}

async function stats(baseUrl: string) {
  return (await admin(baseUrl, "GET", "/stats")).body;
}

function expectFatal(answer: Answer, message: string) {
  expect(answer.status).toBe(400);
  expect(answer.body).toEqual({ message });
}
