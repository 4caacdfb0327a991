/**
 * `deepsift serve` on the embedded pipeline, over real HTTP on loopback: what an analyst's
 * client sees — the upload, the job, the report (the same as `deepsift scan`'s), the event
 * stream, the video by ranges — and what a stranger or a careless client gets refused.
 */
import { createReadStream, openAsBlob } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { VideoReport } from '../aggregator';
import { createSilentLogger, PipelineMetrics, resolveConfig } from '../common';
import { hashFile } from '../ingest';
import type { JobView } from '../serve';
import { DISCARD_LIMIT_BYTES } from '../serve/refused-body';
import { startServer, type RunningServer } from '../serve/start-server';
import { cliEnv, runCli } from './cli-runner';
import { eventually } from './distributed-harness';
import { makeFaceVideo, makeTempDir, sharedDir } from './video-fixtures';

const SAMPLE = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');
const KEY = 'analyst-key-0123456789abcdef';
const OTHER_KEY = 'second-key-fedcba9876543210';

jest.setTimeout(180_000);

/** Starts a server on a free loopback port with its own folders. */
async function serve(dir: string, env: Record<string, string>): Promise<RunningServer> {
  const config = resolveConfig(cliEnv({
    DEEPSIFT_SERVE_PORT: '0',
    DEEPSIFT_SERVE_UPLOAD_DIR: path.join(dir, 'uploads'),
    DEEPSIFT_SERVE_REPORTS_DIR: path.join(dir, 'reports'),
    DEEPSIFT_API_KEYS: `${KEY},${OTHER_KEY}`,
    ...env,
  }));
  return startServer(config, { logger: createSilentLogger(), metrics: new PipelineMetrics() }, { distributed: false, noAuth: false, version: 'test' });
}

function upload(server: RunningServer, file: Blob, name: string, key: string | null = KEY, query = ''): Promise<Response> {
  const form = new FormData();
  form.append('file', file, name);
  return fetch(`${server.url}/api/v1/videos${query}`, { method: 'POST', body: form, headers: key ? { authorization: `Bearer ${key}` } : {} });
}

/** Sends `request` on a fresh connection and resolves with everything read until the server closes it. */
function rawExchange(server: RunningServer, request: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open: ${Buffer.concat(chunks).toString()}`));
    }, 15_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
    socket.on('end', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString()); });
  });
}

const get = (server: RunningServer, route: string, headers: Record<string, string> = {}, key: string | null = KEY) =>
  fetch(`${server.url}${route}`, { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });

/** Reads server-sent events from `route` until `stop` says so. */
async function collectEvents(server: RunningServer, stop: (events: Array<{ event: string; data: any }>) => boolean, key = KEY): Promise<Array<{ event: string; data: any }>> {
  const response = await get(server, '/api/v1/events', {}, key);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response.body!.getReader();
  const events: Array<{ event: string; data: any }> = [];
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += Buffer.from(value).toString();
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
    if (stop(events)) break;
  }
  await reader.cancel();
  return events;
}

describe('deepsift serve (embedded back end)', () => {
  let dir: string;
  let server: RunningServer;
  let videoId: string;
  let jobId: string;
  let report: VideoReport;
  let events: Array<{ event: string; data: any }>;

  beforeAll(async () => {
    dir = await makeTempDir();
    videoId = (await hashFile(SAMPLE)).sha256;
    // A high rate limit: these tests poll jobs (an analyst's app follows the event stream instead).
    server = await serve(dir, { DEEPSIFT_SERVE_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes an upload (202 with jobId and videoId), runs the job to done and serves the report', async () => {
    const streamed = collectEvents(server, (seen) => seen.some((e) => e.event === 'report'));
    const response = await upload(server, await openAsBlob(SAMPLE), 'interview_1080p.mp4');
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { jobId: string; videoId: string };
    expect(accepted.videoId).toBe(videoId);
    jobId = accepted.jobId;
    expect(response.headers.get('location')).toBe(`/api/v1/jobs/${jobId}`);

    const statuses = new Set<string>();
    const job = await eventually(async () => {
      const current = (await (await get(server, `/api/v1/jobs/${jobId}`)).json()) as JobView;
      statuses.add(current.status);
      return current.status === 'done' || current.status === 'failed' ? current : undefined;
    }, 150_000, 'the job to finish');
    expect(job).toMatchObject({ id: jobId, status: 'done', stage: 'report', videoId, error: null, detectors: ['meso4-df', 'mesoinception-df'] });

    const reportResponse = await get(server, `/api/v1/reports/${videoId}`);
    expect(reportResponse.status).toBe(200);
    report = (await reportResponse.json()) as VideoReport;
    expect(report).toMatchObject({ videoId, status: 'done', source: { kind: 'file', uri: 'interview_1080p.mp4' } });
    expect(job.label).toBe(report.label);
    expect(job.score).toBe(report.score);
    events = await streamed;
  });

  it('reports the same scores as `deepsift scan`', async () => {
    const scan = await runCli(['scan', SAMPLE, '--json', '--quiet', '--out', path.join(dir, 'scan')]);
    expect(scan.code).toBe(0);
    const [reference] = JSON.parse(scan.stdout) as VideoReport[];
    expect(report.label).toBe(reference!.label);
    expect(report.score!).toBeCloseTo(reference!.score!, 6);
    expect(report.frames).toEqual(reference!.frames);
    for (const [name, detector] of Object.entries(reference!.detectors)) {
      expect(report.detectors[name]!.facesScored).toBe(detector.facesScored);
      expect(report.detectors[name]!.score!).toBeCloseTo(detector.score!, 6);
    }
  });

  it('streams the job through to done and the report as server-sent events', () => {
    const mine = events.filter((e) => e.event === 'job' && e.data.id === jobId).map((e) => e.data.status as string);
    expect(mine[0]).toBe('queued');
    expect(mine).toContain('processing');
    expect(mine[mine.length - 1]).toBe('done');
    const reportEvent = events.find((e) => e.event === 'report');
    expect(reportEvent?.data).toMatchObject({ jobId, videoId, status: 'done', label: report.label, score: report.score });
  });

  it('analyses the same bytes again on a new upload, and two uploads at the same time both finish', async () => {
    const [a, b] = await Promise.all([0, 1].map(async (i) => {
      const response = await upload(server, await openAsBlob(SAMPLE), `again-${i}.mp4`);
      expect(response.status).toBe(202);
      return ((await response.json()) as { jobId: string }).jobId;
    }));
    const jobs = await Promise.all([a!, b!].map((id) => eventually(async () => {
      const job = (await (await get(server, `/api/v1/jobs/${id}`)).json()) as JobView;
      return job.status === 'done' || job.status === 'failed' ? job : undefined;
    }, 150_000, `job ${id}`)));
    for (const job of jobs) expect(job).toMatchObject({ status: 'done', videoId, score: report.score, label: report.label });
  });

  it('lists recent jobs, most recent first, paged', async () => {
    const page = (await (await get(server, '/api/v1/jobs?limit=1&offset=0')).json()) as { jobs: JobView[]; total: number; limit: number };
    expect(page.total).toBeGreaterThanOrEqual(1);
    expect(page.limit).toBe(1);
    expect(page.jobs).toHaveLength(1);
    expect(page.total).toBe(3);
    const all = (await (await get(server, '/api/v1/jobs')).json()) as { jobs: JobView[] };
    expect(all.jobs[2]!.id).toBe(jobId);
    expect(page.jobs[0]!.id).toBe(all.jobs[0]!.id);
  });

  it('refuses reads and writes without a key (401) or with a wrong one (401), and takes a right one', async () => {
    const missing = await get(server, `/api/v1/reports/${videoId}`, {}, null);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await missing.json()).toMatchObject({ code: 'API_KEY_MISSING' });
    const wrong = await get(server, `/api/v1/reports/${videoId}`, {}, 'not-the-key-0123456789');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'API_KEY_INVALID' });
    const wrongUpload = await upload(server, new Blob([await readFile(SAMPLE)]), 'x.mp4', 'not-the-key-0123456789');
    expect(wrongUpload.status).toBe(401);
    expect((await get(server, `/api/v1/reports/${videoId}`, {}, OTHER_KEY)).status).toBe(200);
    // The catalogue of detectors is public.
    const detectors = (await (await get(server, '/api/v1/detectors', {}, null)).json()) as Array<{ name: string; available: boolean; default: boolean; license: string }>;
    expect(detectors.filter((d) => d.available).map((d) => d.name).sort()).toEqual(['meso4-df', 'mesoinception-df']);
    expect(detectors.find((d) => d.name === 'meso4-f2f')).toMatchObject({ available: false, default: false, license: 'Apache-2.0' });
  });

  it('serves the video by ranges (206), the whole (200), and refuses a range past its end (416)', async () => {
    const bytes = await readFile(SAMPLE);
    const route = `/api/v1/videos/${videoId}/media`;
    const first = await get(server, route, { range: 'bytes=0-99' });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`);
    expect(first.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await first.arrayBuffer()).equals(bytes.subarray(0, 100))).toBe(true);
    const middle = await get(server, route, { range: 'bytes=1000000-' });
    expect(middle.status).toBe(206);
    expect(Buffer.from(await middle.arrayBuffer()).equals(bytes.subarray(1_000_000))).toBe(true);
    const suffix = await get(server, route, { range: 'bytes=-500' });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(bytes.length - 500))).toBe(true);
    const whole = await get(server, route);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const past = await get(server, route, { range: `bytes=${bytes.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
  });

  it('gives a signed media link that a player can use without the key, and refuses a forged one', async () => {
    const info = (await (await get(server, `/api/v1/videos/${videoId}`)).json()) as { mediaUrl: string; sizeBytes: number };
    expect(info.sizeBytes).toBe((await readFile(SAMPLE)).length);
    const signed = await get(server, info.mediaUrl, { range: 'bytes=0-9' }, null);
    expect(signed.status).toBe(206);
    const forged = info.mediaUrl.replace(/.(&|$)/, (c) => (c[0] === 'A' ? 'B' : 'A') + c.slice(1));
    expect((await get(server, forged, { range: 'bytes=0-9' }, null)).status).toBe(401);
    expect((await get(server, `/api/v1/videos/${videoId}/media`, {}, null)).status).toBe(401);
  });

  it('refuses a file that is not a video (415) whatever its name, and keeps nothing of it', async () => {
    const response = await upload(server, new Blob(['just some text, not a video\n'.repeat(500)]), 'clip.mp4');
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ code: 'NOT_A_VIDEO' });
    expect((await readdir(path.join(dir, 'uploads'))).sort()).toEqual([`${videoId}.mp4`]);
  });

  it('refuses unknown detectors, private URLs and s3:// sources it cannot read (400)', async () => {
    const unknown = await upload(server, new Blob([await readFile(SAMPLE)]), 'x.mp4', KEY, '?detectors=meso4-df,no-such-detector');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: 'UNKNOWN_DETECTOR' });
    const post = (body: object) => fetch(`${server.url}/api/v1/jobs`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } });
    expect(await (await post({ uri: 'http://169.254.169.254/latest/meta-data' })).json()).toMatchObject({ statusCode: 400, code: 'URL_NOT_ALLOWED' });
    expect(await (await post({ uri: 'http://127.0.0.1:9/x.mp4' })).json()).toMatchObject({ statusCode: 400, code: 'URL_NOT_ALLOWED' });
    expect(await (await post({ uri: 's3://bucket/key.mp4' })).json()).toMatchObject({ statusCode: 400, code: 'S3_NOT_AVAILABLE' });
    expect(await (await post({ uri: 'file:///etc/passwd' })).json()).toMatchObject({ statusCode: 400, code: 'INVALID_URI' });
    expect(await (await post({ url: 'https://example.com/x.mp4' })).json()).toMatchObject({ statusCode: 400, code: 'INVALID_REQUEST' });
  });

  it('publishes a valid OpenAPI 3 document of every route, and browsable docs', async () => {
    const document = (await (await get(server, '/api/openapi.json', {}, null)).json()) as any;
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/detectors', '/api/v1/events', '/api/v1/health', '/api/v1/jobs', '/api/v1/jobs/{id}',
      '/api/v1/reports/{videoId}', '/api/v1/videos', '/api/v1/videos/{videoId}', '/api/v1/videos/{videoId}/media',
    ]);
    expect(Object.keys(document.paths['/api/v1/videos'].post.requestBody.content)).toEqual(['multipart/form-data']);
    const docs = await get(server, '/api/docs/', {}, null);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });
});

describe('deepsift serve limits', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = await makeTempDir();
    server = await serve(dir, { DEEPSIFT_SERVE_MAX_UPLOAD_BYTES: String(1024 * 1024), DEEPSIFT_SERVE_RATE_LIMIT: '30', DEEPSIFT_ALLOW_PRIVATE_URLS: 'true' });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an upload over the cap (413), announced or streamed without a length, and keeps nothing of it', async () => {
    const head = (await readFile(SAMPLE)).subarray(0, 2 * 1024 * 1024);
    const announced = await upload(server, new Blob([head]), 'big.mp4');
    expect(announced.status).toBe(413);
    // Answered once the rest was read and thrown away, so the connection stays reusable.
    expect(announced.headers.get('connection')).not.toBe('close');
    expect(await announced.json()).toMatchObject({ code: 'UPLOAD_TOO_LARGE' });
    // A body announced past what the server reads and throws away is answered at once, and its
    // connection closed.
    const huge = await rawExchange(server, [
      'POST /api/v1/videos HTTP/1.1', 'host: localhost', `authorization: Bearer ${KEY}`,
      'content-type: multipart/form-data; boundary=b', `content-length: ${DISCARD_LIMIT_BYTES + 1}`, '', '--b\r\n',
    ].join('\r\n'));
    expect(huge).toMatch(/^HTTP\/1\.1 413 /);
    expect(huge).toMatch(/\r\nconnection: close\r\n/i);

    // Chunked, so the server only finds out while it streams the bytes.
    const boundary = 'deepsift-test-boundary';
    const parts = [
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.mp4"\r\ncontent-type: video/mp4\r\n\r\n`),
      head,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ];
    const body = new ReadableStream({
      start(controller) {
        for (const part of parts) controller.enqueue(new Uint8Array(part));
        controller.close();
      },
    });
    const streamed = await fetch(`${server.url}/api/v1/videos`, {
      method: 'POST', body, duplex: 'half',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ code: 'UPLOAD_TOO_LARGE' });
    expect(await readdir(path.join(dir, 'uploads'))).toEqual([]);
  });

  it('answers 429 past the per-key rate limit, while another key goes on', async () => {
    const statuses: number[] = [];
    let limited: { retryAfter: string | null; body: unknown } | undefined;
    for (let i = 0; i < 32; i += 1) {
      const response = await get(server, '/api/v1/jobs');
      statuses.push(response.status);
      // Every body is read, so that its connection is free for the next request.
      const body = (await response.json()) as unknown;
      if (response.status === 429) limited = { retryAfter: response.headers.get('retry-after'), body };
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(30);
    expect(statuses[statuses.length - 1]).toBe(429);
    expect(Number(limited!.retryAfter)).toBeGreaterThan(0);
    expect(limited!.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await get(server, '/api/v1/jobs', {}, OTHER_KEY)).status).toBe(200);
  });

  it('fetches a URL job as ingest fetches crawler jobs: analyses a video, fails one over the cap with VIDEO_TOO_LARGE', async () => {
    const fake = await makeFaceVideo(path.join(sharedDir(), 'faces', 'df', 'df00204.jpg'), path.join(dir, 'site', 'fake.mp4'));
    const files: Record<string, string> = { '/fake.mp4': fake, '/big.mp4': SAMPLE };
    const site = http.createServer((request, response) => {
      const file = files[request.url ?? ''];
      if (!file) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'video/mp4' });
      createReadStream(file).pipe(response);
    });
    site.listen(0, '127.0.0.1');
    await new Promise((resolve) => site.once('listening', resolve));
    const base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    try {
      // The answers come as events: two requests where polling would spend the rate limit.
      const terminal = (seen: Array<{ event: string; data: any }>) => seen.filter((e) => e.event === 'job' && ['done', 'failed'].includes(e.data.status)).length >= 2;
      const streamed = collectEvents(server, terminal, OTHER_KEY);
      const post = async (uri: string) => {
        const response = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', body: JSON.stringify({ uri }), headers: { authorization: `Bearer ${OTHER_KEY}`, 'content-type': 'application/json' } });
        expect(response.status).toBe(202);
        return ((await response.json()) as { jobId: string }).jobId;
      };
      const analysed = await post(`${base}/fake.mp4`);
      const tooBig = await post(`${base}/big.mp4`);
      const events = await streamed;
      const last = (jobId: string) => events.filter((e) => e.event === 'job' && e.data.id === jobId).pop()!.data as JobView;
      expect(last(analysed)).toMatchObject({ status: 'done', label: 'FAKE', videoId: (await hashFile(fake)).sha256, source: `${base}/fake.mp4` });
      expect(last(tooBig)).toMatchObject({ status: 'failed', videoId: null, error: { code: 'VIDEO_TOO_LARGE' } });
    } finally {
      site.close();
    }
  });

  it('will not start without keys, nor without auth off loopback', async () => {
    const config = resolveConfig(cliEnv({ DEEPSIFT_SERVE_HOST: '0.0.0.0' }));
    const deps = { logger: createSilentLogger(), metrics: new PipelineMetrics() };
    await expect(startServer(config, deps, { distributed: false, noAuth: true, version: 'test' })).rejects.toThrow(/only on loopback/);
    await expect(startServer(resolveConfig(cliEnv()), deps, { distributed: false, noAuth: false, version: 'test' })).rejects.toThrow(/no API keys/);
    const keysFile = path.join(dir, 'keys');
    await writeFile(keysFile, '# analysts\nshort\n');
    await expect(startServer(resolveConfig(cliEnv({ DEEPSIFT_API_KEYS_FILE: keysFile })), deps, { distributed: false, noAuth: false, version: 'test' }))
      .rejects.toThrow(/shorter than 16/);
  });

  it('exits 2 with the reason for usage errors on the command line', async () => {
    const open = await runCli(['serve', '--host', '0.0.0.0', '--no-auth']);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/--no-auth is allowed only on loopback/);
    const port = await runCli(['serve', '--port', 'eighty', '--no-auth']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/invalid --port: expected an integer/);
    const keyless = await runCli(['serve'], { DEEPSIFT_API_KEYS: '', DEEPSIFT_API_KEYS_FILE: '' });
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/no API keys/);
  });
});
