import { Option, type Command } from "commander";
import type { ColumnMapping, TokenSourceOptions } from "../tokens";
import { fail } from "./output";

/** The flags every command that reads a token file takes. */
export interface SourceFlags {
  platform: "ios" | "android";
  mode: "identified" | "anonymous";
  preset: "plain" | "onesignal" | "airship";
  format?: "csv" | "ndjson" | "json";
  column: string[];
  attribute: string[];
  acceptInstallationIds?: boolean;
}

/** `--column` keys, in Braze's words, by {@link ColumnMapping} field. */
const COLUMN_KEYS: Readonly<Record<string, keyof Omit<ColumnMapping, "customAttributes">>> = {
  token: "token",
  external_id: "externalId",
  device_id: "deviceId",
  email: "email",
  country: "country",
  language: "language",
};

/** Adds the token file flags (platform, mode, preset, format, columns) to a command. */
export function addSourceOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--platform <platform>", "platform of the app the tokens go to")
        .choices(["ios", "android"])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--mode <mode>", "identified (rows name an external_id) or anonymous")
        .choices(["identified", "anonymous"])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--preset <preset>", "the file's export layout")
        .choices(["plain", "onesignal", "airship"])
        .default("plain"),
    )
    .addOption(
      new Option("--format <format>", "the file's encoding (default: detected)").choices([
        "csv",
        "ndjson",
        "json",
      ]),
    )
    .option(
      "--column <field=column>",
      "read a field from this column: token, external_id, device_id, email, country, language " +
        "(empty column: do not read the field); repeatable",
      collect,
      [],
    )
    .option(
      "--attribute <name=column>",
      "send this column as a custom attribute (name alone: same column name); repeatable",
      collect,
      [],
    )
    .option("--accept-installation-ids", "accept Firebase Installation IDs with a warning");
}

/** The token source options the flags describe. */
export function sourceOptions(file: string, flags: SourceFlags): TokenSourceOptions {
  return {
    file,
    platform: flags.platform,
    mode: flags.mode,
    preset: flags.preset,
    format: flags.format,
    columns: parseColumns(flags.column, flags.attribute),
    acceptInstallationIds: flags.acceptInstallationIds === true,
  };
}

function parseColumns(columns: string[], attributes: string[]): ColumnMapping {
  const mapping: Record<string, unknown> = {};
  for (const pair of columns) {
    const [key, column] = splitPair(pair, "--column");
    const field = COLUMN_KEYS[key.toLowerCase()];
    if (field === undefined) {
      fail(
        `--column ${pair}: unknown field "${key}"; use one of ${Object.keys(COLUMN_KEYS).join(", ")}`,
      );
    }
    mapping[field] = column;
  }

  const customAttributes: Record<string, string> = {};
  for (const pair of attributes) {
    const [name, column] = pair.includes("=") ? splitPair(pair, "--attribute") : [pair, pair];
    if (name === "" || column === "")
      fail(`--attribute ${pair}: give a name and a column, as name=column`);
    customAttributes[name] = column;
  }
  return { ...mapping, customAttributes };
}

function splitPair(pair: string, flag: string): [string, string] {
  const at = pair.indexOf("=");
  if (at <= 0) fail(`${flag} ${pair}: write it as field=column`);
  return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
