/**
 * A 52-bit hash of (app_id, token), the key of the emulator's token index.
 *
 * Push tokens are long (APNs 64, FCM 140-200+ characters) and arrive in random order, so a
 * B-tree keyed on the text grows slowly; an integer key keeps the index small and inserts fast.
 * The hash is not unique: every lookup also compares app_id and token. It is written into data
 * files, so it must never change.
 */
export function tokenHash(appId: string, token: string): number {
  // two 32-bit multiplicative hashes over the same characters, app_id first, a separator
  // between, combined into a number JavaScript holds exactly (below 2^53)
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  const mix = (code: number) => {
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  };
  for (let i = 0; i < appId.length; i++) mix(appId.charCodeAt(i));
  mix(0x1f);
  for (let i = 0; i < token.length; i++) mix(token.charCodeAt(i));
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}
