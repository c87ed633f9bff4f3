/**
 * An in-memory S3 for the scale mode: PutObject, GetObject and ListObjectsV2 of the rollup
 * bucket. Objects whose key `keep` refuses are counted (size, lines) but their bodies dropped, so
 * a day at 10× fits in memory and its files do not count in the roll's RSS; reading one back is
 * an error.
 */
export class MemoryS3 {
  readonly objects = new Map<string, Uint8Array | number>();
  /** Largest object put, by the key's first two path segments. */
  readonly largest = new Map<string, number>();
  /** Lines (newlines) of each object put, counted before a body is dropped. */
  readonly lines = new Map<string, number>();
  puts = 0;

  constructor(private readonly keep: (key: string) => boolean = () => true) {}

  async send(command: { constructor: { name: string }; input: any }): Promise<any> {
    const { Key: key, Body: body, Prefix: prefix } = command.input;
    switch (command.constructor.name) {
      case 'PutObjectCommand': {
        const bytes = body as Uint8Array;
        this.puts++;
        const group = String(key).split('/').slice(0, 2).join('/');
        this.largest.set(group, Math.max(this.largest.get(group) ?? 0, bytes.length));
        const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
        let n = 0;
        for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
        this.lines.set(key, n);
        this.objects.set(key, this.keep(key) ? bytes : bytes.length);
        return {};
      }
      case 'GetObjectCommand': {
        const o = this.objects.get(key);
        if (o === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
        if (typeof o === 'number') throw new Error(`MemoryS3: the body of ${key} was dropped`);
        return { Body: { transformToByteArray: async () => o } };
      }
      case 'ListObjectsV2Command':
        return {
          Contents: [...this.objects.keys()]
            .filter((k) => k.startsWith(prefix ?? ''))
            .sort()
            .map((Key) => ({ Key })),
          IsTruncated: false,
        };
      default:
        throw new Error(`MemoryS3: ${command.constructor.name} is not supported`);
    }
  }
}
