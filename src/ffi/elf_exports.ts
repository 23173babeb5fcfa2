/**
 * Reads a shared object's exported function names from its ELF dynamic
 * symbol table, without loading it: loading runs the file's constructors,
 * and the point is to decide whether it is safe to load at all
 * (`deep_bind.ts`).
 * @module
 */
import { readFileSync } from "node:fs";

const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STB_GLOBAL = 1;
const STB_WEAK = 2;

/**
 * Up to `max` names of functions that the ELF file at `path` defines and
 * exports and that start with `prefix`. Empty when the file is not a
 * little-endian ELF file, cannot be read, or has none.
 */
export function elfExportsWithPrefix(
  path: string,
  prefix: string,
  max: number,
): string[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    return [];
  }
  try {
    return scan(bytes, prefix, max);
  } catch {
    return []; // a truncated or odd file: the loader will say more
  }
}

function scan(bytes: Uint8Array, prefix: string, max: number): string[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isElf = v.getUint32(0) === 0x7f454c46;
  const wide = bytes[4] === 2; // ELFCLASS64
  if (!isElf || bytes[5] !== 1) return []; // not ELF, or big-endian
  const num = (at: number): number =>
    wide ? Number(v.getBigUint64(at, true)) : v.getUint32(at, true);
  const shoff = num(wide ? 0x28 : 0x20);
  const shentsize = v.getUint16(wide ? 0x3a : 0x2e, true);
  const shnum = v.getUint16(wide ? 0x3c : 0x30, true);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      type: v.getUint32(at + 4, true),
      offset: num(at + (wide ? 24 : 16)),
      size: num(at + (wide ? 32 : 20)),
      link: v.getUint32(at + (wide ? 40 : 24), true),
    };
  };
  const out: string[] = [];
  const want = new TextEncoder().encode(prefix);
  for (let i = 0; i < shnum && out.length < max; i++) {
    const sym = section(i);
    if (sym.type !== SHT_DYNSYM) continue;
    const strtab = section(sym.link);
    const entsize = wide ? 24 : 16;
    for (
      let at = sym.offset;
      at + entsize <= sym.offset + sym.size;
      at += entsize
    ) {
      const info = bytes[at + (wide ? 4 : 12)];
      const shndx = v.getUint16(at + (wide ? 6 : 14), true);
      const bind = info >> 4;
      if (
        shndx === 0 || (info & 0xf) !== STT_FUNC ||
        (bind !== STB_GLOBAL && bind !== STB_WEAK)
      ) continue;
      const name = strtab.offset + v.getUint32(at, true);
      if (!want.every((c, k) => bytes[name + k] === c)) continue;
      let end = name;
      while (bytes[end] !== 0 && end < strtab.offset + strtab.size) end++;
      out.push(new TextDecoder().decode(bytes.subarray(name, end)));
      if (out.length >= max) break;
    }
  }
  return out;
}
