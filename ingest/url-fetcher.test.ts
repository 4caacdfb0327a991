import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRetryable, VideoRejectedError } from '../common';
import { fetchUrlToTempFile, UrlUnavailableError, type UrlFetchOptions } from './url-fetcher';

// The same module object the fetcher's temp-file helper calls, so the spy sees its folders.
const fsPromises = require('node:fs/promises') as typeof import('node:fs/promises');

const VIDEO = Buffer.alloc(4096, 7);

describe('fetchUrlToTempFile', () => {
  let server: http.Server;
  let base: string;
  let requests: string[];
  let tempDirs: string[];

  beforeEach(async () => {
    requests = [];
    tempDirs = [];
    const mkdtemp = fsPromises.mkdtemp;
    jest.spyOn(fsPromises, 'mkdtemp').mockImplementation(async (prefix: string) => {
      const dir = await mkdtemp(prefix);
      tempDirs.push(dir);
      return dir;
    });
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      const port = (server.address() as AddressInfo).port;
      switch (new URL(req.url ?? '/', 'http://test').pathname) {
        case '/video.mp4':
          res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': VIDEO.length });
          return res.end(VIDEO);
        case '/declared-large':
          res.writeHead(200, { 'content-length': 10_000 });
          return res.end(Buffer.alloc(10_000));
        case '/chunked-large': {
          res.writeHead(200, { 'content-type': 'video/mp4' }); // no Content-Length: chunked
          let sent = 0;
          const timer = setInterval(() => {
            if (res.destroyed || sent >= 20) return clearInterval(timer), res.end();
            res.write(Buffer.alloc(1000)), (sent += 1);
          }, 2);
          return;
        }
        case '/redirect':
          res.writeHead(302, { location: `http://localhost:${port}/video.mp4` });
          return res.end();
        case '/redirect-relative':
          res.writeHead(301, { location: '/video.mp4' });
          return res.end();
        case '/redirect-loopback-v6':
          res.writeHead(307, { location: `http://[::1]:${port}/video.mp4` });
          return res.end();
        case '/redirect-metadata':
          res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
          return res.end();
        case '/redirect-file':
          res.writeHead(302, { location: 'file:///etc/passwd' });
          return res.end();
        case '/loop':
          res.writeHead(302, { location: '/loop' });
          return res.end();
        case '/missing':
          res.writeHead(404);
          return res.end();
        case '/unavailable':
          res.writeHead(503);
          return res.end();
        case '/stall-headers':
          return; // never answers
        case '/stall-body':
          res.writeHead(200, { 'content-length': 1000 });
          return res.write(Buffer.alloc(10)); // then nothing
        case '/trickle': {
          res.writeHead(200);
          const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('x')), 20);
          return;
        }
        default:
          res.writeHead(500);
          return res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const local: UrlFetchOptions = { maxBytes: 1_000_000, allowPrivateNetworks: true };

  async function expectFailure(url: string, options: UrlFetchOptions, code: string, type: Function = VideoRejectedError) {
    const error = await fetchUrlToTempFile(url, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code });
    // Whatever was written is gone.
    for (const dir of tempDirs) expect(existsSync(dir)).toBe(false);
    return error as Error;
  }

  it('downloads into a private file when private networks are allowed', async () => {
    const video = await fetchUrlToTempFile(`${base}/video.mp4?token=secret`, local);
    expect(await readFile(video.path)).toEqual(VIDEO);
    expect((await stat(video.path)).mode & 0o777).toBe(0o600);
    expect(video).toMatchObject({ sizeBytes: VIDEO.length, contentType: 'video/mp4' });
    expect(video.path).not.toContain('video.mp4');
    expect(video.path).not.toContain('secret');
    await video.remove();
    expect(existsSync(video.path)).toBe(false);
  });

  it('follows redirects, absolute and relative', async () => {
    const redirected = await fetchUrlToTempFile(`${base}/redirect`, local);
    expect(redirected.finalUrl).toMatch(/^http:\/\/localhost:\d+\/video\.mp4$/);
    await redirected.remove();
    const relative = await fetchUrlToTempFile(`${base}/redirect-relative`, local);
    expect(relative.sizeBytes).toBe(VIDEO.length);
    await relative.remove();
  });

  it.each([
    ['an IPv4 loopback literal', (port: number) => `http://127.0.0.1:${port}/video.mp4`],
    ['a name that resolves to loopback', (port: number) => `http://localhost:${port}/video.mp4`],
    ['an IPv6 loopback literal', (port: number) => `http://[::1]:${port}/video.mp4`],
    ['an IPv4-mapped IPv6 loopback', (port: number) => `http://[::ffff:127.0.0.1]:${port}/video.mp4`],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
  ])('refuses %s by default, without connecting', async (_name, url) => {
    const port = (server.address() as AddressInfo).port;
    const error = await expectFailure(url(port), { maxBytes: 1_000_000 }, 'URL_NOT_ALLOWED');
    expect(isRetryable(error)).toBe(false);
    expect(requests).toEqual([]);
  });

  it('checks the addresses it resolves itself, so a rebinding name is refused', async () => {
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    await expectFailure(`http://videos.example.com:${(server.address() as AddressInfo).port}/video.mp4`, { maxBytes: 1_000_000, resolve }, 'URL_NOT_ALLOWED');
    expect(requests).toEqual([]);
  });

  it('re-checks every redirect target', async () => {
    // Only the test server's own address is allowed: the redirects' targets are not.
    const options = { maxBytes: 1_000_000, allowAddress: (address: string) => address === '127.0.0.1' };
    await expectFailure(`${base}/redirect-metadata`, options, 'URL_NOT_ALLOWED');
    await expectFailure(`${base}/redirect-loopback-v6`, options, 'URL_NOT_ALLOWED');
    await expectFailure(`${base}/redirect-file`, options, 'URL_NOT_ALLOWED');
    expect(requests).toEqual(['/redirect-metadata', '/redirect-loopback-v6', '/redirect-file']);
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/video.mp4', 'gopher://example.com/', 'not a url'])('refuses %s', async (url) => {
    await expectFailure(url, local, 'URL_NOT_ALLOWED');
  });

  it('refuses a video over the cap by its Content-Length, before reading', async () => {
    const error = await expectFailure(`${base}/declared-large`, { ...local, maxBytes: 5000 }, 'VIDEO_TOO_LARGE');
    expect(error.message).toContain('10000 bytes');
    expect(tempDirs).toEqual([]);
  });

  it('stops reading a chunked body once it passes the cap, removing the partial file', async () => {
    await expectFailure(`${base}/chunked-large`, { ...local, maxBytes: 5000 }, 'VIDEO_TOO_LARGE');
    expect(tempDirs).toHaveLength(1);
  });

  it('gives up after too many redirects', async () => {
    await expectFailure(`${base}/loop`, { ...local, maxRedirects: 3 }, 'URL_FETCH_FAILED');
    expect(requests).toHaveLength(4);
  });

  it('refuses on HTTP 404 and retries on HTTP 503', async () => {
    const missing = await expectFailure(`${base}/missing`, local, 'URL_FETCH_FAILED');
    expect(isRetryable(missing)).toBe(false);
    const unavailable = await expectFailure(`${base}/unavailable`, local, 'URL_FETCH_FAILED', UrlUnavailableError);
    expect(isRetryable(unavailable)).toBe(true);
  });

  it('times out a silent server, before the headers and during the body', async () => {
    await expectFailure(`${base}/stall-headers`, { ...local, idleTimeoutMs: 200 }, 'URL_TIMEOUT', UrlUnavailableError);
    await expectFailure(`${base}/stall-body`, { ...local, idleTimeoutMs: 200 }, 'URL_TIMEOUT', UrlUnavailableError);
    expect(tempDirs).toHaveLength(1);
  });

  it('times out a server that trickles forever', async () => {
    const error = await expectFailure(`${base}/trickle`, { ...local, totalTimeoutMs: 300 }, 'URL_TIMEOUT', UrlUnavailableError);
    expect(error.message).toContain('300 ms');
  });
});
