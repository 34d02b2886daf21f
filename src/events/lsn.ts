// Log sequence numbers as PostgreSQL prints them ("16/B374D848"), compared as the 64-bit positions they are. Pure.

export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) throw new Error(`not an LSN: ${text}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(n: bigint): string {
  return `${(n >> 32n).toString(16).toUpperCase()}/${(n & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** a < b: -1, a = b: 0, a > b: 1 */
export function compareLsn(a: string, b: string): number {
  const x = parseLsn(a);
  const y = parseLsn(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** b − a in bytes (0 when b is not after a) */
export function lsnBytesBetween(a: string, b: string): number {
  const d = parseLsn(b) - parseLsn(a);
  return d > 0n ? Number(d) : 0;
}
