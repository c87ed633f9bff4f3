/**
 * DynamoDB's item size, by its documented rules, so tests and the scale mode can check what the
 * emulators do not enforce (dynalite does not refuse items over 400 KB):
 * - an attribute counts its name (UTF-8 bytes) plus its value;
 * - String: UTF-8 bytes; Binary: bytes; Number: about 1 byte per 2 significant digits + 1;
 * - Boolean and Null: 1 byte;
 * - List and Map: 3 bytes + their elements, + 1 byte per element (Map: plus each key's name).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** An item may not exceed 400 KB (409,600 bytes). */
export const MAX_ITEM_BYTES = 400 * 1024;

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

function numberSize(n: string): number {
  const digits = n.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + numberSize(s), 0);
  if (v.BS) return v.BS.reduce((n, b) => n + b.length, 0);
  if (v.L) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + utf8(k) + valueSize(e), 0);
  return 0;
}

/** The size DynamoDB gives an item (what the 400 KB limit and capacity units are counted on). */
export function itemSize(item: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [name, v] of Object.entries(item)) n += utf8(name) + valueSize(v);
  return n;
}
