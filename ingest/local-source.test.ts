import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { hashFile, NotARegularFileError } from './local-source';

describe('hashFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepsift-hash-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('hashes a regular file', async () => {
    const file = path.join(dir, 'a.mp4');
    await writeFile(file, 'some bytes');
    expect(await hashFile(file)).toEqual({ sha256: createHash('sha256').update('some bytes').digest('hex'), sizeBytes: 10 });
  });

  it('refuses a named pipe without waiting for a writer', async () => {
    const fifo = path.join(dir, 'x.mp4');
    execFileSync('mkfifo', [fifo]);
    // Without a writer, a blocking open or read would never return and this test would time out.
    const error = await hashFile(fifo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotARegularFileError);
    expect((error as Error).message).toBe(`${fifo} is not a regular file (named pipe); only regular files are analysed`);
  });
});
