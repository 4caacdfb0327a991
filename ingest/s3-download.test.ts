import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { VideoRejectedError, type S3Storage } from '../common';
import { startS3Server, testS3Storage, type TestS3Server } from '../test/s3-server';
import { downloadS3Object } from './s3-download';

// The same module object the temp-file helper calls, so the spy sees its folders.
const fsPromises = require('node:fs/promises') as typeof import('node:fs/promises');

describe('downloadS3Object against s3rver', () => {
  let server: TestS3Server;
  let storage: S3Storage;
  let tempDirs: string[];

  beforeEach(async () => {
    server = await startS3Server();
    storage = testS3Storage(server);
    tempDirs = [];
    const mkdtemp = fsPromises.mkdtemp;
    jest.spyOn(fsPromises, 'mkdtemp').mockImplementation(async (prefix: string) => {
      const dir = await mkdtemp(prefix);
      tempDirs.push(dir);
      return dir;
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    storage.close();
    await server.close();
  });

  it('copies the object into a private file with a generated name', async () => {
    const body = randomBytes(100_000);
    await storage.put('incoming/a b+c%d é.mp4', body);

    const file = await downloadS3Object(storage, 'incoming/a b+c%d é.mp4', { maxBytes: 1_000_000 });
    expect(await readFile(file.path)).toEqual(body);
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    expect(file.path).not.toContain('é');
    expect(file).toMatchObject({ sizeBytes: body.length, eTag: expect.stringMatching(/^[0-9a-f]{32}$/) });
    await file.remove();
    expect(existsSync(file.path)).toBe(false);
  });

  it('refuses an object over the cap before downloading it', async () => {
    await storage.put('incoming/big.mp4', Readable.from([Buffer.alloc(10_000)]));
    const error = await downloadS3Object(storage, 'incoming/big.mp4', { maxBytes: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoRejectedError);
    expect(error).toMatchObject({ code: 'VIDEO_TOO_LARGE', message: expect.stringContaining('10000 bytes') });
    expect(tempDirs).toEqual([]);
  });

  it('says FILE_NOT_FOUND for a missing object', async () => {
    await expect(downloadS3Object(storage, 'incoming/none.mp4', { maxBytes: 5_000 })).rejects.toMatchObject({
      name: 'VideoRejectedError',
      code: 'FILE_NOT_FOUND',
    });
  });

  it('stops and cleans up when the object is larger than its HEAD said', async () => {
    await storage.put('incoming/grew.mp4', Buffer.alloc(10_000));
    // The object is replaced by a larger one between HEAD and GET.
    const racing = { bucket: storage.bucket, head: async () => ({ sizeBytes: 100, etag: 'x' }), stream: (key: string) => storage.stream(key) };
    await expect(downloadS3Object(racing, 'incoming/grew.mp4', { maxBytes: 5_000 })).rejects.toMatchObject({ code: 'VIDEO_TOO_LARGE' });
    expect(tempDirs).toHaveLength(1);
    expect(existsSync(tempDirs[0]!)).toBe(false);
  });
});
