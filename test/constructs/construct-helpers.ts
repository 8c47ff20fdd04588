import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apnsToken, fcmToken } from "../helpers";

/** A temporary folder for one test file, removed afterwards. */
export function useTempDir(prefix: string): { readonly path: string } {
  const holder = { path: "" };
  beforeAll(() => {
    holder.path = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(holder.path, { recursive: true, force: true }));
  return holder;
}

/** Writes a CSV token file and returns its path. */
export function csvFile(dir: string, name: string, header: string, rows: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, [header, ...rows].join("\n") + "\n");
  return file;
}

/** `count` identified iOS rows `token,external_id` from `start`. */
export function iosRows(start: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${apnsToken(start + i)},user-${start + i}`);
}

/** `count` anonymous Android rows (token only) from `start`. */
export function androidRows(start: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => fcmToken(start + i));
}
