// The part of js-yaml (a devDependency without bundled types) the tests use.
declare module "js-yaml" {
  /** Parses one YAML document; throws on a syntax error. */
  export function load(text: string): unknown;
}
