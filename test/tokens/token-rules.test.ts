import { checkToken, formatTokenIssue, lastSix, type TokenCheck } from "../../src/tokens";
import { checkDeviceId, checkExternalId } from "../../src/tokens/token-rules";
import { apnsToken, fcmToken } from "../helpers";

describe("APNs tokens", () => {
  it("accepts 64 hex digits and keeps them as they are", () => {
    expect(checkToken("ios", apnsToken(7))).toEqual({ ok: true, token: apnsToken(7) });
  });

  it("lower-cases hex and strips the spaces and <> of Apple's NSData description", () => {
    const token = apnsToken(0xabcdef);
    const described = `<${token.slice(0, 8).toUpperCase()} ${token.slice(8).toUpperCase()}>`;
    expect(checkToken("ios", described)).toEqual({ ok: true, token });
  });

  it("fails when the token is not hex", () => {
    expect(code(checkToken("ios", `${apnsToken(1).slice(0, 62)}zz`))).toBe("APNS_NOT_HEX");
  });

  it("fails when the hex has an odd number of digits", () => {
    expect(code(checkToken("ios", apnsToken(1).slice(0, 63)))).toBe("APNS_ODD_LENGTH");
  });

  it("warns but accepts an even length other than 64", () => {
    const check = checkToken("ios", apnsToken(1).slice(0, 40));
    expect(check).toMatchObject({
      ok: true,
      warning: { code: "APNS_UNUSUAL_LENGTH", severity: "warning" },
    });
  });

  it("fails on an FCM token in an iOS import", () => {
    expect(code(checkToken("ios", fcmToken(1)))).toBe("APNS_TOKEN_LOOKS_LIKE_FCM");
  });
});

describe("FCM tokens", () => {
  it("accepts a registration token and a legacy GCM token", () => {
    expect(checkToken("android", fcmToken(3))).toEqual({ ok: true, token: fcmToken(3) });
    const legacy = `APA91b${"Q".repeat(150)}`;
    expect(checkToken("android", legacy)).toEqual({ ok: true, token: legacy });
  });

  it("fails on characters outside [A-Za-z0-9_:-]", () => {
    expect(code(checkToken("android", `${fcmToken(1)}/+=`))).toBe("FCM_BAD_CHARACTERS");
    expect(code(checkToken("android", `|ID|1|:${"a".repeat(120)}`))).toBe("FCM_BAD_CHARACTERS");
  });

  it("fails under 100 and over 4,096 characters", () => {
    expect(code(checkToken("android", fcmToken(1).slice(0, 99)))).toBe("FCM_TOO_SHORT");
    expect(checkToken("android", fcmToken(1).slice(0, 100)).ok).toBe(true);
    expect(code(checkToken("android", `${fcmToken(1)}${"y".repeat(4096)}`))).toBe("FCM_TOO_LONG");
  });

  it("fails on an APNs token in an Android import", () => {
    expect(code(checkToken("android", apnsToken(1)))).toBe("FCM_TOKEN_LOOKS_LIKE_APNS");
    expect(code(checkToken("android", apnsToken(1).toUpperCase()))).toBe(
      "FCM_TOKEN_LOOKS_LIKE_APNS",
    );
  });

  it("refuses a Firebase Installation ID unless asked to accept it", () => {
    const fid = "cAbCdEfGhIjKlMnOpQr_-9";
    expect(checkToken("android", fid)).toMatchObject({
      ok: false,
      finding: {
        code: "FCM_INSTALLATION_ID",
        rule: expect.stringContaining("not a registration token"),
      },
    });
    expect(checkToken("android", fid, true)).toMatchObject({
      ok: true,
      token: fid,
      warning: { code: "FCM_INSTALLATION_ID", severity: "warning" },
    });
  });
});

describe("tokens no platform takes", () => {
  it.each([
    [
      "a web push subscription",
      '{"endpoint":"https://fcm.googleapis.com/fcm/send/abc","keys":{"p256dh":"x","auth":"y"}}',
    ],
    ["a web push endpoint", "https://updates.push.services.mozilla.com/wpush/v2/gAAAAAB"],
  ])("fails on %s with Braze's reason, on either platform", (_, value) => {
    for (const platform of ["ios", "android"] as const) {
      const check = checkToken(platform, value);
      expect(check).toMatchObject({ ok: false, finding: { code: "WEB_PUSH_NOT_IMPORTABLE" } });
      expect((check as { finding: { rule: string } }).finding.rule).toMatch(
        /cannot import web push/,
      );
    }
  });

  it.each(["ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]", "ExpoPushToken[yyyyyyyyyyyyyyyyyyyyyy]"])(
    "fails on the Expo token %s and says to export native tokens",
    (value) => {
      const check = checkToken("ios", value);
      expect(check).toMatchObject({
        ok: false,
        finding: { code: "EXPO_TOKEN", fix: expect.stringContaining("native") },
      });
    },
  );

  it("fails on an empty token", () => {
    expect(code(checkToken("ios", "  "))).toBe("TOKEN_MISSING");
  });
});

describe("external_id and device_id", () => {
  it("needs an external_id in an identified import and refuses one in an anonymous import", () => {
    expect(checkExternalId("identified", undefined)?.code).toBe("EXTERNAL_ID_MISSING");
    expect(checkExternalId("identified", "user-1")).toBeUndefined();
    expect(checkExternalId("anonymous", "user-1")?.code).toBe("EXTERNAL_ID_IN_ANONYMOUS");
    expect(checkExternalId("anonymous", undefined)).toBeUndefined();
  });

  it("takes an external_id of up to 987 bytes, counted in UTF-8", () => {
    expect(checkExternalId("identified", "a".repeat(987))).toBeUndefined();
    expect(checkExternalId("identified", "a".repeat(988))).toMatchObject({
      code: "EXTERNAL_ID_TOO_LARGE",
      value: "988 bytes",
    });
    expect(checkExternalId("identified", "é".repeat(494))?.code).toBe("EXTERNAL_ID_TOO_LARGE");
  });

  it("takes a device_id of 8 to 255 bytes", () => {
    expect(checkDeviceId("1234567")?.code).toBe("DEVICE_ID_LENGTH");
    expect(checkDeviceId("12345678")).toBeUndefined();
    expect(checkDeviceId("d".repeat(255))).toBeUndefined();
    expect(checkDeviceId("d".repeat(256))?.code).toBe("DEVICE_ID_LENGTH");
    expect(checkDeviceId(undefined)).toBeUndefined();
  });
});

describe("how an issue reads", () => {
  it("names the file, line, problem, last 6 characters, rule and fix", () => {
    const check = checkToken("ios", `${apnsToken(1).slice(0, 58)}a1b2zz`);
    expect(check.ok).toBe(false);
    const finding = (check as { finding: any }).finding;
    expect(formatTokenIssue({ ...finding, file: "tokens/ios.csv", line: 42 })).toBe(
      "tokens/ios.csv line 42: token is not hex (…a1b2zz): APNs device tokens are hex strings; " +
        "export the raw device token",
    );
  });

  it("never shows more than the last 6 characters of a token", () => {
    const token = fcmToken(99);
    expect(lastSix(token)).toBe(`…${token.slice(-6)}`);
    const finding = (checkToken("ios", token) as { finding: any }).finding;
    expect(JSON.stringify(finding)).not.toContain(token.slice(-7));
  });
});

function code(check: TokenCheck): string | undefined {
  return check.ok ? undefined : check.finding.code;
}
