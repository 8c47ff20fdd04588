/**
 * Resolving a column mapping: the caller's names first, then the preset's, matched without
 * regard to case. A CSV header is checked once, up front; JSON objects are matched one by one
 * because each object can have its own keys.
 */
import { TokenSourceError } from "./errors";
import type { BrazeField, FieldGetter, PresetDefinition } from "./presets";
import type { ColumnMapping } from "./types";

/** Column names by Braze field, lower-case, in the order to try them. */
export interface ColumnPlan {
  readonly fields: Readonly<Record<BrazeField, readonly string[]>>;
  /** Custom attributes as [attribute name, column name]. */
  readonly customAttributes: ReadonlyArray<readonly [string, string]>;
}

/** The Braze field names used in messages and reports, by mapping key. */
export const FIELD_NAMES: Readonly<Record<BrazeField, string>> = {
  token: "token",
  externalId: "external_id",
  deviceId: "device_id",
  email: "email",
  country: "country",
  language: "language",
};

/** Combines the preset's names with the caller's overrides. */
export function planColumns(preset: PresetDefinition, mapping: ColumnMapping = {}): ColumnPlan {
  const fields = {} as Record<BrazeField, readonly string[]>;
  for (const field of Object.keys(FIELD_NAMES) as BrazeField[]) {
    const chosen = mapping[field];
    // "" means "do not read this field"
    fields[field] =
      chosen === undefined ? preset.names[field] : chosen === "" ? [] : [chosen.toLowerCase()];
  }
  const customAttributes = Object.entries(mapping.customAttributes ?? {}).map(
    ([name, column]) => [name, column.toLowerCase()] as const,
  );
  return { fields, customAttributes };
}

/**
 * Fixes a plan to the columns of a CSV header: one column per field, or none. Fails when the
 * token column, a column the preset needs or a column the caller named is missing.
 */
export function fitToHeader(
  plan: ColumnPlan,
  preset: PresetDefinition,
  mapping: ColumnMapping,
  header: readonly string[],
  file: string,
): ColumnPlan {
  const present = new Set(header);
  const columns = header.join(", ");

  const fields = {} as Record<BrazeField, readonly string[]>;
  for (const field of Object.keys(FIELD_NAMES) as BrazeField[]) {
    const found = plan.fields[field].find((name) => present.has(name));
    if (found === undefined && mapping[field]) {
      throw unknownColumn(file, mapping[field], FIELD_NAMES[field], columns);
    }
    fields[field] = found === undefined ? [] : [found];
  }
  if (fields.token.length === 0) {
    throw new TokenSourceError(
      "MISSING_COLUMN",
      `${file} has no token column: looked for ${plan.fields.token.join(", ")} among its columns ` +
        `(${columns}); name it with --column token=<column>`,
    );
  }
  for (const name of preset.required) {
    if (!present.has(name)) {
      throw new TokenSourceError(
        "MISSING_COLUMN",
        `${file} has no ${name} column, which this preset needs (its columns: ${columns}); ` +
          "export it, or pick another --preset",
      );
    }
  }
  for (const [attribute, column] of plan.customAttributes) {
    if (!present.has(column)) throw unknownColumn(file, column, `attribute ${attribute}`, columns);
  }
  return { fields, customAttributes: plan.customAttributes };
}

/** The columns a fitted plan reads, by Braze field name, for the report. */
export function describePlan(plan: ColumnPlan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of Object.keys(FIELD_NAMES) as BrazeField[]) {
    if (plan.fields[field].length > 0) out[FIELD_NAMES[field]] = plan.fields[field].join(" | ");
  }
  for (const [attribute, column] of plan.customAttributes) {
    out[`custom_attributes.${attribute}`] = column;
  }
  return out;
}

/** A getter over a CSV row, by lower-case header name. */
export function csvGetter(
  index: ReadonlyMap<string, number>,
  cells: readonly string[],
): FieldGetter {
  return (name) => {
    const i = index.get(name);
    return i === undefined ? undefined : cells[i];
  };
}

/** A getter over a JSON object's top-level keys, in any case. */
export function jsonGetter(object: Record<string, unknown>): FieldGetter {
  // most exports write their keys in lower case: look those up directly, and build the
  // case-folded map only for an object that has a key in another case
  let folded = false;
  for (const key in object) {
    if (key !== key.toLowerCase()) {
      folded = true;
      break;
    }
  }
  if (!folded) return (name) => (Object.hasOwn(object, name) ? object[name] : undefined);

  const byName = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    const lower = key.toLowerCase();
    if (!byName.has(lower)) byName.set(lower, value);
  }
  return (name) => byName.get(name);
}

/** The first of `names` that has a value. */
export function pick(get: FieldGetter, names: readonly string[]): unknown {
  for (const name of names) {
    const value = get(name);
    if (value !== undefined && value !== null && value !== "") return value;
  }
  return undefined;
}

function unknownColumn(
  file: string,
  name: string,
  what: string,
  columns: string,
): TokenSourceError {
  return new TokenSourceError(
    "UNKNOWN_COLUMN",
    `${file} has no column "${name}" for ${what}; its columns are: ${columns}`,
  );
}
