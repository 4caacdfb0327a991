/**
 * The test data fetcher against an HTTP server on loopback with the shared layout: files
 * arrive verified, a second run is served from the cache, and bytes that do not match the
 * SHA-256 are refused and never installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sha256File } from '../weights/file-hash';
import { EVAL_VIDEOS, MEDIA, ensureTestData } from './test-data';
import { makeTempDir, sharedDir } from './video-fixtures';

describe('test data fetcher', () => {
  const requests: string[] = [];
  let corrupt: string | undefined;
  let server: http.Server;
  let baseUrl: string;
  let dir: string;

  beforeAll(async () => {
    // Serves the files the global set-up made ready, as an upstream mirror would.
    server = http.createServer((req, res) => {
      const relative = decodeURIComponent(req.url!.slice(1));
      requests.push(relative);
      const file = path.join(sharedDir(), relative);
      if (!existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const body = readFileSync(file);
      if (relative === corrupt) body[body.length - 1] ^= 0xff;
      res.writeHead(200, { 'Content-Length': body.length }).end(body);
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    dir = await makeTempDir();
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const faces = MEDIA.filter((f) => f.path.startsWith('faces/'));

  it('downloads each file once, verified, into the shared layout', async () => {
    const target = path.join(dir, 'fresh');
    const files = [...faces, EVAL_VIDEOS[0]!];
    await ensureTestData({ targetDir: target, baseUrl, files });
    expect(requests.sort()).toEqual(files.map((f) => f.path).sort());
    for (const file of files) expect(await sha256File(path.join(target, file.path))).toBe(file.sha256);
    expect((await readFile(path.join(target, 'eval', 'labels.csv'), 'utf8')).split('\n')).toContain('real/lrnet_dfo_real.mp4,REAL,deeperforensics');

    requests.length = 0;
    await ensureTestData({ targetDir: target, baseUrl, files });
    expect(requests).toEqual([]); // all cache hits
  });

  it('refuses bytes that do not match the SHA-256 and installs nothing', async () => {
    const target = path.join(dir, 'corrupt');
    corrupt = 'faces/df/df00204.jpg';
    try {
      await expect(ensureTestData({ targetDir: target, baseUrl, files: [faces[0]!] })).rejects.toMatchObject({
        name: 'ChecksumError',
        message: expect.stringContaining(faces[0]!.sha256),
      });
    } finally {
      corrupt = undefined;
    }
    expect(existsSync(path.join(target, 'faces', 'df', 'df00204.jpg'))).toBe(false);
  });

  it('copies from a mirror folder without the network (the offline path CI uses)', async () => {
    const target = path.join(dir, 'mirrored');
    requests.length = 0;
    await ensureTestData({ targetDir: target, mirrorDir: sharedDir(), baseUrl: 'http://127.0.0.1:1/', files: faces });
    expect(requests).toEqual([]);
    for (const file of faces) expect(await sha256File(path.join(target, file.path))).toBe(file.sha256);
  });
});
