import { request } from "undici";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../src/emulator/server";
import { DEFAULT_API_KEY, DEFAULT_APPS } from "../src/emulator/config";

/** app_ids of the default apps, by platform. */
export const APP = {
  ios: DEFAULT_APPS[0].appId,
  android: DEFAULT_APPS[1].appId,
  web: DEFAULT_APPS[2].appId,
};

/** The default key of an emulator started without apiKeys. */
export const KEY = DEFAULT_API_KEY;

/** A response as the tests look at it. */
export interface Answer<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** Starts an emulator on port 0 for one test file and closes it afterwards. */
export function useEmulator(options: EmulatorOptions = {}): { readonly current: RunningEmulator } {
  const holder: { current: RunningEmulator } = {} as never;
  beforeAll(async () => {
    holder.current = await startEmulator({ port: 0, ...options });
  });
  afterAll(async () => {
    await holder.current?.close();
  });
  return holder;
}

/** POSTs JSON to a Braze endpoint with a bearer key (`null` for none). */
export async function post<T = any>(
  baseUrl: string,
  path: string,
  body: unknown,
  key: string | null = KEY,
): Promise<Answer<T>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await request(`${baseUrl}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

/** Calls the admin API. */
export async function admin<T = any>(
  baseUrl: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<Answer<T>> {
  const res = await request(`${baseUrl}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

/** A well-formed APNs token (64 hex characters) derived from `n`. */
export function apnsToken(n: number): string {
  return n.toString(16).padStart(8, "0").repeat(8);
}

/** A well-formed FCM registration token derived from `n`. */
export function fcmToken(n: number): string {
  return `f${n.toString(36).padStart(10, "0")}:APA91b${"x".repeat(140)}${n}`;
}
