/**
 * s3rver writes objects and their metadata in place, and answers a PUT before the bytes are on
 * disk: a GET right after a PUT, or two PUTs of one key at once (a re-roll racing the schedule),
 * can see a half-written file. S3 itself is atomic per object. This patch makes s3rver's file
 * store write to a temporary file and rename it (atomic on POSIX), after the data is flushed.
 */
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
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

export function patchS3rverAtomicWrites(): void {
  if (patched) return;
  patched = true;
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
