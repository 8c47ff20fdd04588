import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { escapeTemplates, unescapeTemplates } from "../../src/manifest/manifest";
import { pickReceiverSettings, readStackManifests, type StackManifest } from "../../src/workflow";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bpm-stack-json-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("unescapeTemplates", () => {
  it.each(["${x}", "%{if}", "$${x}", "%%{x}", "$$${x}", "a $ b % c {}", "${a}%{b}$"])(
    "gives back what escapeTemplates was given: %s",
    (text) => {
      const value = { [text]: [text, { nested: text }] };
      expect(unescapeTemplates(escapeTemplates(value))).toEqual(value);
    },
  );
});

describe("readStackManifests", () => {
  it("reads terraform_data inputs and null_resource triggers, leaving out resources without a kind", () => {
    // GIVEN
    const stack = writeStack("mixed", {
      resource: {
        terraform_data: {
          receiver: { input: receiver("shop/receiver", { note: "$${literal}" }) },
          other: { input: { anything: "else" } },
        },
        null_resource: {
          second: { triggers: { manifest: JSON.stringify(receiver("shop/second", {})) } },
        },
      },
    });

    // WHEN
    const found = readStackManifests(stack);

    // THEN
    expect(found.map((m) => m.address)).toEqual([
      "terraform_data.receiver",
      "null_resource.second",
    ]);
    expect(found[0].manifest).toMatchObject({ key_value_pairs: { note: "${literal}" } });
  });

  it("fails with STACK_JSON_INVALID naming the resource when a manifest does not parse", () => {
    const stack = writeStack("bad", {
      resource: { terraform_data: { r: { input: { ...receiver("shop/r", {}), flatten: "yes" } } } },
    });

    expect(() => readStackManifests(stack)).toThrow(
      expect.objectContaining({
        code: "STACK_JSON_INVALID",
        message: expect.stringContaining('terraform_data.r of stack "bad"'),
      }),
    );
  });

  it("fails with STACK_JSON_INVALID when the stack folder has no Terraform JSON", () => {
    expect(() => readStackManifests({ name: "gone", dir: join(dir, "gone") })).toThrow(
      expect.objectContaining({ code: "STACK_JSON_INVALID" }),
    );
  });
});

describe("pickReceiverSettings", () => {
  const stack = { name: "shop", dir };
  const manifests: StackManifest[] = [
    { address: "terraform_data.a", manifest: receiver("shop/eu/receiver", {}) },
    { address: "terraform_data.b", manifest: receiver("shop/us/receiver", {}) },
    { address: "terraform_data.c", manifest: receiver("shop/main", {}) },
  ];

  it.each([
    ["main", "shop/main"],
    ["shop/main", "shop/main"],
    ["eu/receiver", "shop/eu/receiver"],
    ["shop/us/receiver", "shop/us/receiver"],
  ])("picks %s as %s", (name, path) => {
    expect(pickReceiverSettings(stack, manifests, name).construct_path).toBe(path);
  });

  it("asks for the whole path when an id matches several", () => {
    expect(() => pickReceiverSettings(stack, manifests, "receiver")).toThrow(
      '--receiver "receiver" matches 2 receiver settings of stack "shop" (shop/eu/receiver, ' +
        "shop/us/receiver): give the whole path",
    );
  });

  it("says the stack declares none", () => {
    expect(() => pickReceiverSettings(stack, [], "main")).toThrow(
      "it declares none: add an AndroidReceiverSettings to the stack",
    );
  });
});

function receiver(path: string, pairs: Record<string, string>) {
  return {
    kind: "android-receiver-settings" as const,
    version: 1 as const,
    construct_path: path,
    api_key_env: "BRAZE_API_KEY",
    app_id: "00000000-0000-4000-8000-0000000000a2",
    app_path: "shop/android",
    app_name: "Shop Android",
    receiver: "onesignal" as const,
    key_value_pairs: pairs,
    flatten: true,
  };
}

function writeStack(name: string, json: unknown) {
  const stackDir = mkdtempSync(join(dir, `${name}-`));
  writeFileSync(join(stackDir, "cdk.tf.json"), JSON.stringify(json));
  return { name, dir: stackDir };
}
