/**
 * Two fixes for s3rver, the embedded S3 emulator, applied when the local stack starts it.
 *
 * 1. Atomic writes. s3rver writes objects and their metadata in place, and answers a PUT before the bytes are on
 * disk: a GET right after a PUT, or two PUTs of one key at once (a re-roll racing the schedule),
 * can see a half-written file. S3 itself is atomic per object. This patch makes s3rver's file
 * store write to a temporary file and rename it (atomic on POSIX), after the data is flushed.
 *
 * 2. Listings past 1,000 keys. s3rver encrypts ListObjectsV2 continuation tokens with DES, which
 *    OpenSSL 3 (Node 17+) only has behind `--openssl-legacy-provider`: every listing of a day's
 *    1,440 minute files failed with InternalError. The token is opaque to clients, so we serve
 *    s3rver's `des` requests with AES-128-CBC (key and IV widened deterministically), and nothing
 *    else changes.
 */
import { createRequire } from 'node:module';
import crypto, { createHash, randomBytes, type Cipher, type Decipher } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

interface StoredObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: Record<string, string>;
}

interface FilesystemStore {
  rootDirectory: string;
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
}

/**
 * Writes next to the store, never inside it: s3rver's listing stats every file it walks, so a
 * temporary file that vanishes mid-walk would fail the listing. A sibling folder is on the same
 * file system, so the rename stays atomic.
 */
async function atomicWrite(store: FilesystemStore, path: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmpDir = join(dirname(store.rootDirectory), `.${basename(store.rootDirectory)}-tmp`);
  await mkdir(tmpDir, { recursive: true });
  const tmp = join(tmpDir, randomBytes(8).toString('hex'));
  await writeFile(tmp, data);
  await rename(tmp, path);
}

let patched = false;

const widen = (b: Buffer): Buffer => Buffer.concat([b, b]).subarray(0, 16);

function patchDesTokens(): void {
  const createCipheriv = crypto.createCipheriv;
  const createDecipheriv = crypto.createDecipheriv;
  const c = crypto as unknown as Record<string, unknown>;
  c.createCipheriv = (alg: string, key: Buffer, iv: Buffer, opts?: unknown): Cipher =>
    alg === 'des' ? createCipheriv('aes-128-cbc', widen(key), widen(iv)) : (createCipheriv as (...a: unknown[]) => Cipher)(alg, key, iv, opts);
  c.createDecipheriv = (alg: string, key: Buffer, iv: Buffer, opts?: unknown): Decipher =>
    alg === 'des' ? createDecipheriv('aes-128-cbc', widen(key), widen(iv)) : (createDecipheriv as (...a: unknown[]) => Decipher)(alg, key, iv, opts);
}

/** Applies both patches once per process, before s3rver serves a request. */
export function patchS3rver(): void {
  if (patched) return;
  patched = true;
  patchDesTokens();
  const Store = require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStore };
  const { ALLOWED_METADATA } = require('s3rver/lib/models/object') as { ALLOWED_METADATA: string[] };
  Store.prototype.putObject = async function putObject(this: FilesystemStore, object: StoredObject) {
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(object.content)) chunks.push(object.content);
    else for await (const chunk of object.content) chunks.push(Buffer.from(chunk as Buffer));
    const content = Buffer.concat(chunks);
    const md5 = createHash('md5').update(content).digest('hex');
    // Metadata first, object last: a reader that finds the new object also finds its metadata.
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    await atomicWrite(this, this.getResourcePath(object.bucket, object.key, 'object'), content);
    return { size: content.length, md5 };
  };
  Store.prototype.putMetadata = async function putMetadata(this: FilesystemStore, bucket, key, metadata, md5) {
    // The same fields s3rver keeps (its allow-list and x-amz-meta-*), written atomically.
    const json: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) if (ALLOWED_METADATA.includes(k) || k.startsWith('x-amz-meta-')) json[k] = v;
    if (md5) await atomicWrite(this, this.getResourcePath(bucket, key, 'object.md5'), md5);
    await atomicWrite(this, this.getResourcePath(bucket, key, 'metadata.json'), JSON.stringify(json, null, 2));
  };
}
