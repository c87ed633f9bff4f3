// Exact secondary indexes for dynalite 4.x.
//
// dynalite stores an index entry under `<index key>/<first 6 hex digits of MD5(table key)>`: two
// items with the same index key whose table keys share those 24 bits overwrite each other's entry,
// and one of them vanishes from every Query of that index. At n items per index key about
// n²/2²⁵ are lost (79 of 105,262 in the bench's busy minute). This patch keys index entries by
// the whole MD5 (128 bits) instead, and when an item written under the old scheme is updated or
// deleted it also removes its old entry, so a `.local/dynamodb` written before the patch is
// cleaned as its items are touched (entries already overwritten then cannot be recovered).
//
// dynalite keeps the function private (its own writes call it directly), so the module's source
// is compiled with the change into the require cache before dynalite loads. If dynalite changes
// shape the patch refuses to start rather than run inexact.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const EDITS = [
  [
    'return createKey(item, table, keySchema) + hashPrefix.apply(this, tableKeyPieces)\n}',
    'return createKey(item, table, keySchema) + fullHash(tableKeyPieces)\n}\n\n' +
      'function fullHash (p) {\n  return hashPrefix(p[0], p[1], p[2], p[3], 32)\n}\n\n' +
      'function createLegacyIndexKey (item, table, keySchema) {\n' +
      '  var tableKeyPieces = []\n' +
      '  traverseKey(table, function (attr, type) { tableKeyPieces.push(item[attr][type], type) })\n' +
      '  return createKey(item, table, keySchema) + hashPrefix.apply(this, tableKeyPieces)\n}',
  ],
  [
    'function hashPrefix (hashKey, hashType, rangeKey, rangeType) {',
    'function hashPrefix (hashKey, hashType, rangeKey, rangeType, digits) {',
  ],
  [".digest('hex').slice(0, 6)", ".digest('hex').slice(0, digits || 6)"],
  [
    '      if (existingKey != key) {\n        deletes.push({ index: index.IndexName, key: existingKey })\n      }\n',
    '      if (existingKey != key) {\n        deletes.push({ index: index.IndexName, key: existingKey })\n      }\n' +
      '      deletes.push({ index: index.IndexName, key: createLegacyIndexKey(existingItem, table, index.KeySchema) })\n',
  ],
];

let patched = false;

/** Compiles dynalite's db module with exact index keys into the require cache (once per process). */
export function patchDynaliteIndexKeys() {
  if (patched) return;
  const file = require.resolve('dynalite/db/index.js');
  let source = readFileSync(file, 'utf8');
  for (const [from, to] of EDITS) {
    if (source.split(from).length !== 2)
      throw new Error(`dynalite's db/index.js is not the 4.x this patch knows (no unique "${from.slice(0, 40)}…")`);
    source = source.replace(from, to);
  }
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(file.replace(/[/\\][^/\\]*$/, ''));
  mod._compile(source, file);
  mod.loaded = true;
  require.cache[file] = mod;
  patched = true;
}
