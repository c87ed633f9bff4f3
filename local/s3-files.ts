/**
 * The local S3's storage: every object is a plain file whose path under the storage directory is
 * `<bucket>/<key>`, so an analyst opens `.local/s3/<bucket>/rollups/daily/date=…/rollup.csv` with
 * DuckDB, a spreadsheet or `cat` (CONTRACT.md §4 *1.1*). fauxqs 2.x serves the S3 API; this class
 * is its persistence provider (fauxqs' own file store appends `.data` to every key and writes in
 * place).
 *
 * - Bodies are the truth. The S3 metadata fauxqs keeps (content type, ETag, user metadata) lives in
 *   a sidecar tree, `.meta/objects/<bucket>/<key>.json`; a file without a sidecar (dropped in by
 *   hand) is served with metadata derived from its bytes.
 * - Writes are atomic, as in S3: a temporary file beside the tree, then a rename, so a reader (or a
 *   restart after SIGKILL) sees the old object or the new one, never half of one.
 * - Objects left by s3rver (`<key>._S3rver_object`) are renamed to their key on first load.
 * - A key that is also a "folder" of another key (`a` and `a/b`) cannot be stored as files; the
 *   pipeline writes no such keys.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** The object shape fauxqs' S3 store hands its persistence provider (fauxqs/dist/s3/s3Types). */
export interface StoredS3Object {
  key: string;
  body: Buffer;
  contentType?: string;
  contentLength: number;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
  [field: string]: unknown;
}

interface S3StoreLike {
  createBucket(name: string, type?: string): void;
  setBucketCreationDate(name: string, date: Date): void;
  restoreObject(bucket: string, obj: StoredS3Object): void;
}

const META = '.meta';
const TMP = '.tmp';
const S3RVER_OBJECT = '._S3rver_object';

/** Keys map to paths segment by segment; segments the file system can't hold are refused. */
function keyPath(key: string): string {
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
    throw new Error(`the local S3 stores objects as files and cannot hold the key ${JSON.stringify(key)}`);
  }
  return parts.join(sep);
}

export class PlainFileS3Persistence {
  private readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = join(root, META, TMP);
    mkdirSync(this.tmpDir, { recursive: true });
  }

  private bodyPath(bucket: string, key: string): string {
    return join(this.root, bucket, keyPath(key));
  }

  private metaPath(bucket: string, key: string): string {
    return join(this.root, META, 'objects', bucket, `${keyPath(key)}.json`);
  }

  private bucketMetaPath(bucket: string): string {
    return join(this.root, META, 'buckets', `${bucket}.json`);
  }

  /** Temporary file on the same file system, then rename: atomic on POSIX. */
  private atomicWrite(path: string, data: Buffer | string): void {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = join(this.tmpDir, randomBytes(8).toString('hex'));
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  }

  private removeEmptyParents(dir: string, stopAt: string): void {
    for (let d = dir; d !== stopAt && d.startsWith(stopAt + sep); d = dirname(d)) {
      try {
        if (readdirSync(d).length > 0) return;
        rmdirSync(d);
      } catch {
        return;
      }
    }
  }

  insertBucket(name: string, creationDate: Date, type: string): void {
    mkdirSync(join(this.root, name), { recursive: true });
    this.atomicWrite(this.bucketMetaPath(name), JSON.stringify({ name, creationDate: creationDate.toISOString(), type }));
  }

  deleteBucket(name: string): void {
    rmSync(join(this.root, name), { recursive: true, force: true });
    rmSync(join(this.root, META, 'objects', name), { recursive: true, force: true });
    rmSync(this.bucketMetaPath(name), { force: true });
  }

  saveBucketLifecycleConfiguration(): void {}
  deleteBucketLifecycleConfiguration(): void {}

  upsertObject(bucket: string, obj: StoredS3Object): void {
    const { body, ...meta } = obj;
    // Sidecar first, body last: a restart that finds the new body also finds its metadata, and a
    // sidecar newer than its body is detected on load by the length and ETag check.
    this.atomicWrite(this.metaPath(bucket, obj.key), JSON.stringify({ ...meta, lastModified: obj.lastModified.toISOString() }));
    this.atomicWrite(this.bodyPath(bucket, obj.key), body);
  }

  deleteObject(bucket: string, key: string): void {
    const body = this.bodyPath(bucket, key);
    const meta = this.metaPath(bucket, key);
    rmSync(body, { force: true });
    rmSync(meta, { force: true });
    this.removeEmptyParents(dirname(body), join(this.root, bucket));
    this.removeEmptyParents(dirname(meta), join(this.root, META, 'objects', bucket));
  }

  deleteObjectsByBucket(bucket: string): void {
    rmSync(join(this.root, bucket), { recursive: true, force: true });
    rmSync(join(this.root, META, 'objects', bucket), { recursive: true, force: true });
    mkdirSync(join(this.root, bucket), { recursive: true });
  }

  deleteAllObjects(): void {
    for (const bucket of this.bucketNames()) this.deleteObjectsByBucket(bucket);
  }

  renameObject(bucket: string, sourceKey: string, destKey: string): void {
    const meta = JSON.parse(readFileSync(this.metaPath(bucket, sourceKey), 'utf8')) as Record<string, unknown>;
    mkdirSync(dirname(this.bodyPath(bucket, destKey)), { recursive: true });
    this.atomicWrite(this.metaPath(bucket, destKey), JSON.stringify({ ...meta, key: destKey }));
    renameSync(this.bodyPath(bucket, sourceKey), this.bodyPath(bucket, destKey));
    rmSync(this.metaPath(bucket, sourceKey), { force: true });
  }

  readBody(bucket: string, key: string): Buffer {
    return readFileSync(this.bodyPath(bucket, key));
  }

  // Multipart uploads stay in memory until completed (the pipeline's objects are small).
  insertMultipartUpload(): void {}
  upsertMultipartPart(): void {}
  deleteMultipartUpload(): void {}
  completeMultipartUpload(_uploadId: string, bucket: string, obj: StoredS3Object): void {
    this.upsertObject(bucket, obj);
  }
  deleteAllMultipartUploads(): void {}

  private bucketNames(): string[] {
    return readdirSync(this.root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== META)
      .map((e) => e.name);
  }

  /** Restores buckets and object metadata into fauxqs' store; bodies are read on demand. */
  loadS3(store: S3StoreLike): void {
    for (const bucket of this.bucketNames()) {
      let created = statSync(join(this.root, bucket)).mtime;
      try {
        created = new Date((JSON.parse(readFileSync(this.bucketMetaPath(bucket), 'utf8')) as { creationDate: string }).creationDate);
      } catch {
        this.insertBucket(bucket, created, 'general-purpose');
      }
      store.createBucket(bucket);
      store.setBucketCreationDate(bucket, created);
      const bucketDir = join(this.root, bucket);
      this.walk(bucketDir, (file) => {
        const key = relative(bucketDir, file).split(sep).join('/');
        store.restoreObject(bucket, this.restoredObject(bucket, key, file));
      });
    }
  }

  private restoredObject(bucket: string, key: string, file: string): StoredS3Object {
    const { size, mtime } = statSync(file);
    try {
      const meta = JSON.parse(readFileSync(this.metaPath(bucket, key), 'utf8')) as StoredS3Object & { lastModified: string };
      if (meta.contentLength === size && meta.key === key)
        return { ...meta, body: Buffer.alloc(0), lastModified: new Date(meta.lastModified) };
    } catch {
      // no sidecar (a file put there by hand), or one from an interrupted write: derive it
    }
    const etag = `"${createHash('md5').update(readFileSync(file)).digest('hex')}"`;
    return {
      key,
      body: Buffer.alloc(0),
      contentType: 'application/octet-stream',
      contentLength: size,
      etag,
      lastModified: mtime,
      metadata: {},
    };
  }

  /** Every regular file under dir; s3rver's leftovers are turned into plain files on the way. */
  private walk(dir: string, visit: (file: string) => void): void {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      let path = join(dir, entry.name);
      if (entry.isDirectory()) {
        this.walk(path, visit);
        continue;
      }
      if (!entry.isFile()) continue;
      if (entry.name.endsWith('._S3rver_metadata.json') || entry.name.endsWith('._S3rver_object.md5')) {
        unlinkSync(path);
        continue;
      }
      if (entry.name.endsWith(S3RVER_OBJECT)) {
        const plain = path.slice(0, -S3RVER_OBJECT.length);
        renameSync(path, plain);
        path = plain;
      }
      visit(path);
    }
  }

  purgeAll(): void {
    for (const bucket of this.bucketNames()) this.deleteBucket(bucket);
  }

  close(): void {}
}
