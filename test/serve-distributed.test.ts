/**
 * `deepsift serve --distributed` in front of a real deployment: the stages as a worker
 * process on this machine's RabbitMQ and an S3 server on loopback. The same upload, routes
 * and answers as on the embedded back end; the work is done by the workers.
 */
import { openAsBlob } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { VideoReport } from '../aggregator';
import { hashFile } from '../ingest';
import type { JobView } from '../serve';
import { runCli } from './cli-runner';
import { Deployment, eventually } from './distributed-harness';
import { startServeProcess, type ServeProcess } from './serve-process';
import { makeTempDir, sharedDir } from './video-fixtures';

const SAMPLE = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');
const KEY = 'distributed-key-0123456789';

jest.setTimeout(300_000);

describe('deepsift serve --distributed', () => {
  let dir: string;
  let deployment: Deployment;
  let server: ServeProcess;
  let videoId: string;
  const auth = { authorization: `Bearer ${KEY}` };

  beforeAll(async () => {
    dir = await makeTempDir();
    videoId = (await hashFile(SAMPLE)).sha256;
    deployment = await Deployment.start();
    await deployment.startWorker('all');
    server = await startServeProcess(['--distributed'], { ...deployment.env, DEEPSIFT_API_KEYS: KEY }, dir);
  });
  afterAll(async () => {
    await server?.stop();
    await deployment?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function finished(jobId: string): Promise<JobView> {
    return eventually(async () => {
      const job = (await (await fetch(`${server.url}/api/v1/jobs/${jobId}`, { headers: auth })).json()) as JobView;
      return job.status === 'done' || job.status === 'failed' ? job : undefined;
    }, 240_000, `job ${jobId} to finish`);
  }

  it('stores an upload in the bucket, has the workers analyse it, and answers as the embedded server does', async () => {
    const form = new FormData();
    form.append('file', await openAsBlob(SAMPLE), 'interview_1080p.mp4');
    const response = await fetch(`${server.url}/api/v1/videos`, { method: 'POST', body: form, headers: auth });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { jobId: string; videoId: string };
    expect(accepted.videoId).toBe(videoId);

    const job = await finished(accepted.jobId);
    expect(job).toMatchObject({ id: accepted.jobId, status: 'done', stage: 'report', videoId, error: null });

    // The report is the deployment's, in its bucket, and the job's id travelled as the correlation id.
    const report = (await (await fetch(`${server.url}/api/v1/reports/${videoId}`, { headers: auth })).json()) as VideoReport;
    const inBucket = JSON.parse((await deployment.bucket.get(`reports/${videoId}.json`)).toString()) as VideoReport;
    expect(report).toEqual(inBucket);
    expect(report.correlationId).toBe(accepted.jobId);
    expect(report.source.uri).toMatch(new RegExp(`^s3://${deployment.s3.bucket}/uploads/[0-9a-f-]{36}/interview_1080p\\.mp4$`));
    expect(job).toMatchObject({ label: report.label, score: report.score });

    const scan = await runCli(['scan', SAMPLE, '--json', '--quiet', '--out', path.join(dir, 'scan')]);
    expect(scan.code).toBe(0);
    const [reference] = JSON.parse(scan.stdout) as VideoReport[];
    expect(report.label).toBe(reference!.label);
    expect(report.score!).toBeCloseTo(reference!.score!, 4);
    for (const [name, detector] of Object.entries(reference!.detectors)) {
      expect(report.detectors[name]!.facesScored).toBe(detector.facesScored);
      expect(report.detectors[name]!.score!).toBeCloseTo(detector.score!, 4);
    }
  });

  it('serves the uploaded video from the bucket by ranges', async () => {
    const bytes = await readFile(SAMPLE);
    const response = await fetch(`${server.url}/api/v1/videos/${videoId}/media`, { headers: { ...auth, range: 'bytes=1000-1999' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
  });

  it('analyses an s3:// URI with the detectors asked for, after the broker dropped every connection', async () => {
    const key = 'incoming-by-api/interview copy.mp4';
    await deployment.bucket.put(key, await readFile(SAMPLE));
    // The server hears of this job's report only by its announcement (no videoId to look for),
    // so it must have followed the results exchange again after the outage.
    expect(deployment.closeBrokerConnections()).toBeGreaterThanOrEqual(2);
    await eventually(async () => (server.log().includes('Reconnected to the broker.') ? true : undefined), 30_000, 'the server to reconnect');
    const response = await fetch(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ uri: `s3://${deployment.s3.bucket}/${key}`, detectors: ['meso4-df'] }),
    });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { jobId: string; videoId: string | null };
    expect(accepted.videoId).toBeNull();
    const job = await finished(accepted.jobId);
    expect(job).toMatchObject({ status: 'done', videoId, detectors: ['meso4-df'] });
    const report = (await (await fetch(`${server.url}/api/v1/reports/${videoId}`, { headers: auth })).json()) as VideoReport;
    expect(Object.keys(report.detectors)).toEqual(['meso4-df']);
    expect(report.source.uri).toBe(`s3://${deployment.s3.bucket}/${key}`);
  });

  it('refuses a non-video (415) and keeps nothing of it in the bucket', async () => {
    const keys = async () => {
      const found: string[] = [];
      for await (const object of deployment.bucket.list('uploads/')) found.push(object.key);
      return found.sort();
    };
    const before = await keys();
    const form = new FormData();
    form.append('file', new Blob(['not a video at all\n'.repeat(1000)]), 'clip.mp4');
    const response = await fetch(`${server.url}/api/v1/videos`, { method: 'POST', body: form, headers: auth });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ code: 'NOT_A_VIDEO' });
    expect(await keys()).toEqual(before);
  });

  it('still refuses requests without a key', async () => {
    const response = await fetch(`${server.url}/api/v1/jobs`);
    expect(response.status).toBe(401);
  });
});
