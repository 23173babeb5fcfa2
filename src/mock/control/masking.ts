/**
 * Passwords out of sight: the journal, the state and the inspector show
 * every account password of the bus's nodes as `***` wherever it appears
 * in text (data, flow parameters and results, `add_info`).
 *
 * @module
 */
import { recordText } from "../bus/records.ts";

/** The passwords of `source`'s nodes replaced by `***` in text. */
export function masker(
  source: {
    nodes(): readonly { users?: Readonly<Record<string, string>> }[];
  },
): (text: string) => string {
  const secrets = new Set<string>();
  for (const n of source.nodes()) {
    for (const pw of Object.values(n.users ?? {})) if (pw) secrets.add(pw);
  }
  if (secrets.size === 0) return (t) => t;
  return (t) => {
    for (const s of secrets) if (t.includes(s)) t = t.split(s).join("***");
    return t;
  };
}

/** `bytes` as base64; bytes that show a password are sent as their masked text. */
export function base64(bytes: Uint8Array, mask: (t: string) => string): string {
  const text = recordText(bytes);
  // Data that shows a password is sent masked, as its text.
  const raw = mask(text) === text
    ? bytes
    : new TextEncoder().encode(mask(text));
  let bin = "";
  for (let i = 0; i < raw.length; i += 0x8000) {
    bin += String.fromCharCode(...raw.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}
