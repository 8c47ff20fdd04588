import { BrazeClient, brazeConfigFromEnv, isLoopbackHost, resolveEndpoint } from "../../src/client";

describe("resolveEndpoint", () => {
  it.each([
    ["US-01", "https://rest.iad-01.braze.com"],
    ["US-03", "https://rest.iad-03.braze.com"],
    ["us-08", "https://rest.iad-08.braze.com"],
    ["US-10", "https://rest.us-10.braze.com"],
    ["EU-01", "https://rest.fra-01.braze.eu"],
    ["EU-02", "https://rest.fra-02.braze.eu"],
    ["AU-01", "https://rest.au-01.braze.com"],
  ])("maps the instance %s to %s", (name, host) => {
    expect(resolveEndpoint(name)).toBe(host);
  });

  it("takes a REST URL as given, without a trailing slash", () => {
    expect(resolveEndpoint("https://rest.iad-03.braze.com/")).toBe("https://rest.iad-03.braze.com");
    expect(resolveEndpoint(" https://proxy.example.com/braze/ ")).toBe(
      "https://proxy.example.com/braze",
    );
  });

  it("allows plain http to loopback only", () => {
    expect(resolveEndpoint("http://127.0.0.1:4010")).toBe("http://127.0.0.1:4010");
    expect(resolveEndpoint("http://127.8.9.10:4010")).toBe("http://127.8.9.10:4010");
    expect(resolveEndpoint("http://localhost:4010")).toBe("http://localhost:4010");
    expect(resolveEndpoint("http://[::1]:4010")).toBe("http://[::1]:4010");
  });

  it("refuses plain http to any other host, saying why", () => {
    expect(() => resolveEndpoint("http://rest.iad-03.braze.com")).toThrow(
      'BRAZE_REST_ENDPOINT uses plain http to "rest.iad-03.braze.com", which is not a loopback ' +
        "address: the API key and the push tokens would cross the network unencrypted; use https " +
        "(plain http is allowed only to 127.0.0.0/8, ::1 and localhost, e.g. the local emulator)",
    );
    expect(() => resolveEndpoint("http://10.0.0.5:4010")).toThrow(/plain http to "10.0.0.5"/);
    expect(() => resolveEndpoint("http://128.0.0.1")).toThrow(/not a loopback address/);
    expect(() => resolveEndpoint("http://localhost.evil.com")).toThrow(/not a loopback address/);
  });

  it("names the known instances for an unknown one", () => {
    expect(() => resolveEndpoint("US-09")).toThrow(
      /unknown Braze instance "US-09": use one of US-01, US-02, .*EU-01, EU-02, AU-01/,
    );
  });

  it("refuses other protocols, credentials, queries and SDK hosts", () => {
    expect(() => resolveEndpoint("ftp://rest.iad-03.braze.com")).toThrow(/must be an https URL/);
    expect(() => resolveEndpoint("https://user:pw@rest.iad-03.braze.com")).toThrow(
      "BRAZE_REST_ENDPOINT must not carry credentials in the URL; the API key goes in BRAZE_API_KEY",
    );
    expect(() => resolveEndpoint("https://rest.iad-03.braze.com?x=1")).toThrow(/query or fragment/);
    expect(() => resolveEndpoint("https://sdk.iad-03.braze.com")).toThrow(/SDK host/);
    expect(() => resolveEndpoint("not a url")).toThrow(/neither a URL nor an instance name/);
  });

  it("throws errors with code BRAZE_CONFIG", () => {
    try {
      resolveEndpoint("");
      throw new Error("no error");
    } catch (err: any) {
      expect(err.code).toBe("BRAZE_CONFIG");
      expect(err.name).toBe("BrazeConfigError");
    }
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.255.0.3", true],
    ["[::1]", true],
    ["localhost", true],
    ["::ffff:7f00:1", true],
    ["10.0.0.1", false],
    ["example.com", false],
    ["::2", false],
  ])("%s -> %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe("brazeConfigFromEnv", () => {
  it("reads the endpoint (URL or instance) and the key", () => {
    expect(brazeConfigFromEnv({ BRAZE_REST_ENDPOINT: "EU-01", BRAZE_API_KEY: " k-1 " })).toEqual({
      endpoint: "https://rest.fra-01.braze.eu",
      apiKey: "k-1",
    });
    const client = BrazeClient.fromEnv({}, { BRAZE_REST_ENDPOINT: "AU-01", BRAZE_API_KEY: "k-2" });
    expect(client.endpoint).toBe("https://rest.au-01.braze.com");
  });

  it("says which variable is missing and what to put in it", () => {
    expect(() => brazeConfigFromEnv({ BRAZE_API_KEY: "k" })).toThrow(
      /^BRAZE_REST_ENDPOINT is not set: set it to your workspace's REST endpoint URL/,
    );
    expect(() => brazeConfigFromEnv({ BRAZE_REST_ENDPOINT: "US-01" })).toThrow(
      /^BRAZE_API_KEY is not set: set it to a REST API key of the workspace/,
    );
  });
});

describe("BrazeClient settings", () => {
  it("refuses bad settings with BRAZE_CONFIG", () => {
    const make = (extra: object) => () =>
      new BrazeClient({ endpoint: "US-01", apiKey: "k", ...extra });
    expect(make({ concurrency: 0 })).toThrow("concurrency must be a positive integer, got 0");
    expect(make({ rateShare: 2 })).toThrow("rateShare must be in (0, 1], got 2");
    expect(make({ retry: { maxAttempts: 0 } })).toThrow(
      "retry.maxAttempts must be a positive integer, got 0",
    );
    expect(make({ rateLimits: { usersTrack: { limit: 0, windowSeconds: 3 } } })).toThrow(
      /a rate limit needs a positive integer limit/,
    );
    expect(make({ apiKey: "" })).toThrow(/the Braze API key is empty/);
  });
});
