import { admin, APP, apnsToken, fcmToken, post, useEmulator, type Answer } from "../helpers";

const TOO_MANY_IDS = "The max number of external_ids and aliases per request was exceeded";

describe("POST /messages/send", () => {
  const emulator = useEmulator();
  const url = () => emulator.current.url;

  beforeAll(async () => {
    const track = await post(url(), "/users/track", {
      attributes: [
        { external_id: "msg-ios", push_tokens: [{ app_id: APP.ios, token: apnsToken(1) }] },
        { external_id: "msg-android", push_tokens: [{ app_id: APP.android, token: fcmToken(1) }] },
        {
          external_id: "msg-both",
          push_tokens: [
            { app_id: APP.ios, token: apnsToken(2) },
            { app_id: APP.android, token: fcmToken(2) },
          ],
        },
        { external_id: "msg-none", first_name: "Tokenless" },
      ],
    });
    expect(track.body).toEqual({ message: "success", attributes_processed: 4 });
  });

  describe("Android payloads", () => {
    it("puts the key-value pairs into the data map as ONE JSON string under extra", async () => {
      const sent = await send(url(), ["msg-android"], {
        android_push: { alert: "Hello", title: "Hi", extra: { deep: "screen/1", n: "2" } },
      });

      expect(sent.status).toBe(201);
      expect(sent.body).toEqual({ message: "success", dispatch_id: expect.any(String) });
      expect(sent.body.dispatch_id).toMatch(/^[0-9a-f]{32}$/);
      const messages = await outbox(url(), sent.body.dispatch_id);
      expect(messages).toEqual([
        {
          id: expect.any(Number),
          dispatch_id: sent.body.dispatch_id,
          external_id: "msg-android",
          app_id: APP.android,
          platform: "android",
          token: fcmToken(1),
          payload: {
            _ab: "true",
            a: "Hello",
            t: "Hi",
            cid: sent.body.dispatch_id,
            extra: '{"deep":"screen/1","n":"2"}',
          },
          created_at: expect.any(Number),
        },
      ]);
    });

    it("names the campaign_id and the custom_uri in the data map", async () => {
      const sent = await send(url(), ["msg-android"], {
        android_push: { alert: "Hello", custom_uri: "myapp://inbox" },
      });
      const withCampaign = await post(url(), "/messages/send", {
        external_user_ids: ["msg-android"],
        campaign_id: "cmp-42",
        messages: { android_push: { alert: "Hello" } },
      });

      expect((await outbox(url(), sent.body.dispatch_id))[0].payload).toEqual({
        _ab: "true",
        a: "Hello",
        cid: sent.body.dispatch_id,
        uri: "myapp://inbox",
      });
      expect((await outbox(url(), withCampaign.body.dispatch_id))[0].payload).toEqual({
        _ab: "true",
        a: "Hello",
        cid: "cmp-42",
      });
    });

    it("puts the pairs at the top level of the data map once the app flattens", async () => {
      const flattened = await admin(url(), "POST", `/apps/${APP.android}/flatten`, {
        flatten: true,
      });
      expect(flattened.status).toBe(200);
      expect(flattened.body).toEqual({
        appId: APP.android,
        name: "Emulated Android",
        platform: "android",
        flatten: true,
      });

      try {
        const sent = await send(url(), ["msg-android"], {
          android_push: {
            alert: "Hello",
            title: "Hi",
            extra: { deep: "screen/1", count: 3, nested: { x: 1 }, a: "collides" },
          },
        });

        // every value becomes a string; a pair named like Braze's own key is dropped
        const [message] = await outbox(url(), sent.body.dispatch_id);
        expect(message.payload).toEqual({
          _ab: "true",
          a: "Hello",
          t: "Hi",
          cid: sent.body.dispatch_id,
          deep: "screen/1",
          count: "3",
          nested: '{"x":1}',
        });
      } finally {
        await admin(url(), "POST", `/apps/${APP.android}/flatten`, { flatten: false });
      }

      const after = await send(url(), ["msg-android"], {
        android_push: { alert: "Hello", extra: { deep: "screen/1" } },
      });
      expect((await outbox(url(), after.body.dispatch_id))[0].payload.extra).toBe(
        '{"deep":"screen/1"}',
      );
    });
  });

  describe("iOS payloads", () => {
    it("renders aps with Braze's ab and the extra pairs beside them", async () => {
      const sent = await send(url(), ["msg-ios"], {
        apple_push: { alert: "Hello", title: "Hi", extra: { deep: "screen/1", n: 2 } },
      });

      const messages = await outbox(url(), sent.body.dispatch_id);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({
        external_id: "msg-ios",
        app_id: APP.ios,
        platform: "ios",
        token: apnsToken(1),
      });
      expect(messages[0].payload).toEqual({
        aps: { alert: { title: "Hi", body: "Hello" } },
        ab: { c: sent.body.dispatch_id },
        deep: "screen/1",
        n: 2,
      });
    });

    it("sends a plain alert string without a title", async () => {
      const sent = await send(url(), ["msg-ios"], { apple_push: { alert: "Hello" } });

      expect((await outbox(url(), sent.body.dispatch_id))[0].payload).toEqual({
        aps: { alert: "Hello" },
        ab: { c: sent.body.dispatch_id },
      });
    });
  });

  describe("recipients", () => {
    it("renders one push per token of the platforms the message has", async () => {
      const sent = await send(url(), ["msg-both", "msg-ios", "msg-android"], {
        android_push: { alert: "A" },
        apple_push: { alert: "I" },
      });

      const messages = await outbox(url(), sent.body.dispatch_id);
      const delivered = messages.map((m: any) => `${m.external_id} ${m.platform} ${m.token}`);
      expect(delivered.sort()).toEqual(
        [
          `msg-both ios ${apnsToken(2)}`,
          `msg-both android ${fcmToken(2)}`,
          `msg-ios ios ${apnsToken(1)}`,
          `msg-android android ${fcmToken(1)}`,
        ].sort(),
      );
    });

    it("succeeds with nothing in the outbox for users without a matching token", async () => {
      const sent = await send(url(), ["msg-ios", "msg-none", "nobody"], {
        android_push: { alert: "Android only" },
      });

      expect(sent.status).toBe(201);
      expect(await outbox(url(), sent.body.dispatch_id)).toEqual([]);
    });

    it("answers No Recipients without a target", async () => {
      const messages = { android_push: { alert: "Hello" } };

      expectFatal(await post(url(), "/messages/send", { messages }), "No Recipients");
      expectFatal(
        await post(url(), "/messages/send", { external_user_ids: [], messages }),
        "No Recipients",
      );
    });

    it("refuses more than 50 external_user_ids and aliases together", async () => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `msg-${i}`);
      const aliases = Array.from({ length: 21 }, (_, i) => ({
        alias_name: `n-${i}`,
        alias_label: "l",
      }));
      const messages = { android_push: { alert: "Hello" } };

      expectFatal(
        await post(url(), "/messages/send", { external_user_ids: ids(51), messages }),
        TOO_MANY_IDS,
      );
      expectFatal(
        await post(url(), "/messages/send", {
          external_user_ids: ids(30),
          user_aliases: aliases,
          messages,
        }),
        TOO_MANY_IDS,
      );
      expect((await send(url(), ids(50), messages)).status).toBe(201);
    });

    it("refuses a segment the workspace does not have", async () => {
      const answer = await post(url(), "/messages/send", {
        segment_id: "vip",
        messages: { android_push: { alert: "Hello" } },
      });

      expectFatal(answer, 'segment_id "vip" is not a segment of this workspace');
    });
  });

  describe("refused payloads", () => {
    it("refuses an extra that is not an object", async () => {
      for (const extra of ["k=v", ["k", "v"], 7, null]) {
        expectFatal(
          await send(url(), ["msg-android"], { android_push: { alert: "x", extra } }),
          "Invalid Extra Push Payload",
        );
        expectFatal(
          await send(url(), ["msg-ios"], { apple_push: { alert: "x", extra } }),
          "Invalid Extra Push Payload",
        );
      }
    });

    it("refuses an apple extra with the keys aps or ab but lets Android use them", async () => {
      for (const extra of [{ aps: { badge: 1 } }, { ab: "x" }]) {
        expectFatal(
          await send(url(), ["msg-ios"], { apple_push: { alert: "x", extra } }),
          "Invalid Extra Push Payload",
        );
        expect(
          (await send(url(), ["msg-android"], { android_push: { alert: "x", extra } })).status,
        ).toBe(201);
      }
    });

    it("refuses a message without a push payload", async () => {
      const answer = await post(url(), "/messages/send", {
        external_user_ids: ["msg-ios"],
        messages: {},
      });

      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        message: "No message to send",
        errors: ["'messages' must hold 'android_push' or 'apple_push'"],
      });
    });

    it("refuses an Android alert plus extra over 4000 bytes, counting bytes not characters", async () => {
      // {"k":"<100 y>"} is 108 bytes; "é" is 2 bytes in UTF-8
      const extra = { k: "y".repeat(100) };
      const atLimit = { android_push: { alert: "é".repeat(1946), extra } };
      const overLimit = { android_push: { alert: "é".repeat(1946) + "x", extra } };

      expect((await send(url(), ["msg-android"], atLimit)).status).toBe(201);
      expectFatal(await send(url(), ["msg-android"], overLimit), "Android Push Length Exceeded");
    });

    it("refuses an Apple payload over 1912 bytes", async () => {
      // {"aps":{"alert":""},"k":""} is 27 bytes
      const atLimit = { apple_push: { alert: "x".repeat(1000), extra: { k: "y".repeat(885) } } };
      const overLimit = { apple_push: { alert: "x".repeat(1001), extra: { k: "y".repeat(885) } } };

      expect((await send(url(), ["msg-ios"], atLimit)).status).toBe(201);
      expectFatal(await send(url(), ["msg-ios"], overLimit), "Apple Push Length Exceeded");
    });
  });
});

describe("POST /messages/send rate limits", () => {
  const emulator = useEmulator({
    config: {
      rateLimits: {
        messagesBroadcast: { limit: 2, windowSeconds: 3600 },
        messagesSend: { limit: 100, windowSeconds: 3600 },
      },
    },
  });
  const url = () => emulator.current.url;

  it("counts broadcasts and segment sends against messagesBroadcast, others against messagesSend", async () => {
    await post(url(), "/users/track", {
      attributes: [
        { external_id: "b-1", push_tokens: [{ app_id: APP.ios, token: apnsToken(7) }] },
        { external_id: "b-2", push_tokens: [{ app_id: APP.android, token: fcmToken(7) }] },
      ],
    });
    const messages = { android_push: { alert: "A" }, apple_push: { alert: "I" } };

    const broadcast = await post(url(), "/messages/send", { broadcast: true, messages });
    expect(broadcast.status).toBe(201);
    expect(broadcast.headers["x-ratelimit-limit"]).toBe("2");
    expect(broadcast.headers["x-ratelimit-remaining"]).toBe("1");
    expect(await outbox(url(), broadcast.body.dispatch_id)).toHaveLength(2);

    const segment = await post(url(), "/messages/send", { segment_id: "all-users", messages });
    expect(segment.status).toBe(201);
    expect(segment.headers["x-ratelimit-limit"]).toBe("2");
    expect(segment.headers["x-ratelimit-remaining"]).toBe("0");

    const direct = await send(url(), ["b-1"], messages);
    expect(direct.status).toBe(201);
    expect(direct.headers["x-ratelimit-limit"]).toBe("100");
    expect(direct.headers["x-ratelimit-remaining"]).toBe("99");

    const third = await post(url(), "/messages/send", { broadcast: true, messages });
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ message: "API Rate Limit Exceeded" });
    expect(third.headers["x-ratelimit-remaining"]).toBe("0");
  });
});

// --- helpers ------------------------------------------------------------------------------

function send(baseUrl: string, externalIds: string[], messages: unknown): Promise<Answer> {
  return post(baseUrl, "/messages/send", { external_user_ids: externalIds, messages });
}

async function outbox(baseUrl: string, dispatchId: string): Promise<any[]> {
  const answer = await admin(baseUrl, "GET", `/outbox?dispatch_id=${dispatchId}`);
  expect(answer.status).toBe(200);
  return answer.body.messages;
}

function expectFatal(answer: Answer, message: string) {
  expect(answer.status).toBe(400);
  expect(answer.body).toEqual({ message });
}
