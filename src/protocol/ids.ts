/**
 * Time-ordered ids (UUID version 7, RFC 9562): sortable by creation, monotonic within a process even
 * within one millisecond, so timelines and keyset pages order the way events happened.
 */
import { toHex } from './bytes.js';

let lastMs = 0;
let counter = 0;
// Random bytes are drawn 4 KiB at a time: one getRandomValues call per 256 ids, not one per id.
const pool = new Uint8Array(4096);
let poolOffset = pool.length;

function randomBytes16(): Uint8Array {
  if (poolOffset + 16 > pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + 16);
  poolOffset += 16;
  return out;
}

/**
 * @example
 * uuidv7(); // '0192f3c4-5b6a-7c01-8d2e-…'
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = randomBytes16();
  let ms = now;
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = 0;
  }
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A short form of an id that people can tell apart: the last 8 characters (for a UUIDv7, random bits;
 * its first 8 are the timestamp, shared by every id made in the same ~65 s).
 *
 * @example
 * displayId('0192f3c4-5b6a-7c01-8d2e-0123456789ab'); // '…456789ab'
 */
export function displayId(id: string): string {
  return id.length <= 8 ? id : `…${id.slice(-8)}`;
}
