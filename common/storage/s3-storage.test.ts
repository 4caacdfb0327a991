import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ConfigError, resolveConfig } from '../config';
import { createS3StorageFromEnv, s3StorageOptionsFromConfig, type S3Storage } from './s3-storage';
import { ObjectNotFoundError } from './storage';
import { startS3Server, testS3Storage, type TestS3Server } from '../../test/s3-server';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('S3Storage against s3rver', () => {
  let server: TestS3Server;
  let storage: S3Storage;

  beforeEach(async () => {
    server = await startS3Server();
    storage = testS3Storage(server);
  });

  afterEach(async () => {
    storage.close();
    await server.close();
  });

  it('round-trips a buffer through put, get, stream, exists, head and delete', async () => {
    const body = Buffer.from('hello, bucket');
    await storage.put('videos/a.mp4', body);

    expect(await storage.get('videos/a.mp4')).toEqual(body);
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.stream('videos/a.mp4')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(body);
    expect(await storage.exists('videos/a.mp4')).toBe(true);
    expect(await storage.head('videos/a.mp4')).toMatchObject({
      sizeBytes: body.length,
      etag: createHash('md5').update(body).digest('hex'),
    });

    await storage.delete('videos/a.mp4');
    expect(await storage.exists('videos/a.mp4')).toBe(false);
    await expect(storage.delete('videos/a.mp4')).resolves.toBeUndefined();
  });

  it('uploads a 20 MB stream in parts and reads back the same bytes', async () => {
    const body = randomBytes(20 * 1024 * 1024);
    // Small chunks, as a network or file stream would deliver them.
    const chunks = Array.from({ length: body.length / 65536 }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
    await storage.put('incoming/big.mp4', Readable.from(chunks));

    const head = await storage.head('incoming/big.mp4');
    expect(head.sizeBytes).toBe(body.length);
    expect(sha256(await storage.get('incoming/big.mp4'))).toBe(sha256(body));
  });

  it('rejects get, stream and head of a missing key with ObjectNotFoundError', async () => {
    await expect(storage.get('nope.mp4')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(storage.stream('nope.mp4')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(storage.head('nope.mp4')).rejects.toMatchObject({ name: 'ObjectNotFoundError', key: 'nope.mp4' });
    expect(await storage.exists('nope.mp4')).toBe(false);
  });

  it('round-trips keys with spaces, +, % and non-ASCII characters exactly', async () => {
    const keys = ['incoming/a b+c%d é.mp4', 'incoming/100%25.mp4', 'incoming/日本語 ファイル.mov', 'incoming/plus+only.mp4'];
    for (const key of keys) await storage.put(key, Buffer.from(key));

    for (const key of keys) expect((await storage.get(key)).toString()).toBe(key);
    expect((await collect(storage.list('incoming/'))).map((o) => o.key).sort()).toEqual([...keys].sort());
    expect(await storage.exists('incoming/a b c%d é.mp4')).toBe(false);
  });

  it('lists every key under a prefix across pages, in key order', async () => {
    const paged = testS3Storage(server, { listPageSize: 3 });
    const keys = Array.from({ length: 10 }, (_, i) => `incoming/v${String(i).padStart(2, '0')}.mp4`);
    await Promise.all(keys.map((key) => paged.put(key, Buffer.from(key))));
    await paged.put('other/x.mp4', Buffer.from('x'));

    const listed = await collect(paged.list('incoming/'));
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed[0]).toMatchObject({ sizeBytes: keys[0]!.length, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(await collect(paged.list('missing/'))).toEqual([]);
    paged.close();
  });

  it('keeps keys under its prefix and lists them without it', async () => {
    const scoped = testS3Storage(server, { prefix: 'tenant-a' });
    await scoped.put('incoming/a.mp4', Buffer.from('a'));

    expect(await storage.exists('tenant-a/incoming/a.mp4')).toBe(true);
    expect((await collect(scoped.list('incoming/'))).map((o) => o.key)).toEqual(['incoming/a.mp4']);
    scoped.close();
  });

  it('putIfAbsent creates an object once', async () => {
    expect(await storage.putIfAbsent('state/queued/m1', Buffer.from('first'))).toBe(true);
    expect(await storage.putIfAbsent('state/queued/m1', Buffer.from('second'))).toBe(false);
    expect((await storage.get('state/queued/m1')).toString()).toBe('first');
  });

  it('refuses keys that are not plain relative paths', async () => {
    await expect(storage.put('../escape', Buffer.from('x'))).rejects.toThrow('invalid storage key');
    await expect(storage.get('/absolute')).rejects.toThrow('invalid storage key');
  });
});

describe('S3 storage configuration', () => {
  it('maps the resolved configuration, path-style by default only with an endpoint', () => {
    expect(s3StorageOptionsFromConfig(resolveConfig({ DEEPSIFT_S3_BUCKET: 'videos' }))).toEqual({
      bucket: 'videos',
      region: 'us-east-1',
      endpoint: undefined,
      forcePathStyle: false,
    });
    expect(
      s3StorageOptionsFromConfig(resolveConfig({ DEEPSIFT_S3_BUCKET: 'videos', DEEPSIFT_S3_ENDPOINT: 'http://minio:9000' })),
    ).toMatchObject({ endpoint: 'http://minio:9000', forcePathStyle: true });
    expect(
      s3StorageOptionsFromConfig(
        resolveConfig({
          DEEPSIFT_S3_BUCKET: 'videos',
          DEEPSIFT_S3_ENDPOINT: 'http://minio:9000',
          DEEPSIFT_S3_FORCE_PATH_STYLE: 'false',
          DEEPSIFT_S3_REGION: 'eu-west-1',
        }),
      ),
    ).toMatchObject({ forcePathStyle: false, region: 'eu-west-1' });
  });

  it('fails fast naming the variable at fault', () => {
    expect(() => createS3StorageFromEnv({ DEEPSIFT_S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(ConfigError);
    expect(() => createS3StorageFromEnv({ DEEPSIFT_S3_FORCE_PATH_STYLE: 'maybe' })).toThrow('DEEPSIFT_S3_FORCE_PATH_STYLE');
    expect(() => createS3StorageFromEnv({ DEEPSIFT_S3_ENDPOINT: 'minio:9000' })).toThrow('DEEPSIFT_S3_ENDPOINT');
    expect(() => createS3StorageFromEnv({ DEEPSIFT_S3_BUCKET: 'Not A Bucket' })).toThrow('DEEPSIFT_S3_BUCKET');
  });
});
