/**
 * Distributed deepsift: the five stages as separate worker processes on RabbitMQ and an
 * S3 server on loopback, fed the ways production feeds them (bucket notifications,
 * crawler jobs), and checked the way an operator would check them.
 */
import { appendFile, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { VideoReport } from '../aggregator';
import { hashFile } from '../ingest';
import { runCli } from './cli-runner';
import { Deployment, eventually, POISON_MARKER, sleep, type WorkerProcess } from './distributed-harness';
import { makeFaceVideo, makeTempDir, runFfmpeg, sharedDir, tagColours } from './video-fixtures';

const FACES = path.join(sharedDir(), 'faces');
/**
 * The two layouts: the default deployment, where the frame extractor and the face cropper
 * run as one process (frames never leave it), and one process per stage, where frames cross
 * the bucket as JPEG. `tolerance` is how far a score may move from `deepsift scan`'s:
 * nothing for the group; for JPEG frames at quality 95, what we measured (README).
 */
const LAYOUTS = [
  { name: 'decode group', stages: ['aggregator', 'detector-workers', 'frame-extractor,face-cropper', 'ingest'], extractor: 'frame-extractor,face-cropper', videoTolerance: 1e-4, faceTolerance: 1e-4 },
  { name: 'one process per stage', stages: ['aggregator', 'detector-workers', 'face-cropper', 'frame-extractor', 'ingest'], extractor: 'frame-extractor', videoTolerance: 0.05, faceTolerance: 0.2 },
];

jest.setTimeout(240_000);

describe.each(LAYOUTS)('distributed deepsift, $name', ({ stages: STAGES, extractor, videoTolerance, faceTolerance }) => {
  let deployment: Deployment;
  let dir: string;
  const videos: Record<string, string> = {};
  const workers: Record<string, WorkerProcess> = {};

  beforeAll(async () => {
    dir = await makeTempDir();
    videos.fake = await makeFaceVideo(path.join(FACES, 'df', 'df00204.jpg'), path.join(dir, 'fake.mp4'));
    videos.real = await makeFaceVideo(path.join(FACES, 'real', 'real00240.jpg'), path.join(dir, 'real.mp4'));
    // Tagged BT.709, as most HD video is: its frames and crops carry that matrix through the stages.
    videos.real2 = await tagColours(await makeFaceVideo(path.join(FACES, 'real', 'real00772.jpg'), path.join(dir, 'real2-untagged.mp4')), path.join(dir, 'real2.mp4'), 'bt709');
    videos.fake2 = await makeFaceVideo(path.join(FACES, 'df', 'df01254.jpg'), path.join(dir, 'fake2.mp4'));
    deployment = await Deployment.start({ DEEPSIFT_DELIVERY_LIMIT: '2', DEEPSIFT_ALLOW_PRIVATE_URLS: 'true' });
    await deployment.listenToResults();
    for (const stage of STAGES) {
      // One video at a time in the frame extractor: a crash then only touches the video that caused it.
      const env = stage === extractor ? { DEEPSIFT_VIDEO_CONCURRENCY: '1' } : undefined;
      workers[stage] = await deployment.startWorker(stage, { supervise: stage === extractor, env });
    }
  });

  afterAll(async () => {
    await deployment?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A copy of `file` with other bytes (remuxed with a tag), so that it is a new video. */
  async function variant(file: string, tag: string): Promise<string> {
    const out = path.join(dir, `${path.basename(file, '.mp4')}-${tag}.mp4`);
    await runFfmpeg(['-i', file, '-c', 'copy', '-metadata', `comment=${tag}`, out]);
    return out;
  }

  async function dropIntoIncoming(key: string, file: string): Promise<{ videoId: string; eTag: string }> {
    await deployment.bucket.put(key, await readFile(file));
    const { etag } = await deployment.bucket.head(key);
    await deployment.publish('s3-events', deployment.s3Event(key, etag));
    return { videoId: (await hashFile(file)).sha256, eTag: etag };
  }

  it('analyses three videos dropped into incoming/ exactly as `deepsift scan` does', async () => {
    const files = [videos.fake!, videos.real!, videos.real2!];
    const dropped = await Promise.all(files.map((f, i) => dropIntoIncoming(`incoming/batch-${i}.mp4`, f)));
    const reports = await Promise.all(dropped.map((d) => deployment.report(d.videoId)));

    const scan = await runCli(['scan', ...files, '--json', '--quiet', '--out', path.join(dir, 'scan')]);
    expect(scan.code).toBe(0);
    const scanned = JSON.parse(scan.stdout) as VideoReport[];
    expect(reports.map((r) => r.label)).toEqual(['FAKE', 'REAL', 'REAL']);
    const deltas: number[] = [];
    const faceDeltas: number[] = [];
    reports.forEach((report, i) => {
      const reference = scanned[i]!;
      deltas.push(Math.abs(report.score! - reference.score!));
      for (const [name, detector] of Object.entries(reference.detectors)) deltas.push(Math.abs(report.detectors[name]!.score! - detector.score!));
      expect(report).toMatchObject({ status: 'done', videoId: reference.videoId, label: reference.label, frames: reference.frames, video: reference.video });
      expect(report.source).toEqual({ kind: 's3', uri: `s3://${deployment.s3.bucket}/incoming/batch-${i}.mp4` });
      expect(Math.abs(report.score! - reference.score!)).toBeLessThanOrEqual(videoTolerance);
      for (const [name, detector] of Object.entries(reference.detectors)) {
        expect(report.detectors[name]!.facesScored).toBe(detector.facesScored);
        expect(Math.abs(report.detectors[name]!.score! - detector.score!)).toBeLessThanOrEqual(videoTolerance);
      }
      const perFace = (r: VideoReport) => r.faces.flatMap((t) => t.frames.map((f) => [f.frameIndex, f.scores] as const));
      const expected = perFace(reference);
      perFace(report).forEach(([frameIndex, scores], j) => {
        expect(frameIndex).toBe(expected[j]![0]);
        for (const [name, score] of Object.entries(scores)) {
          faceDeltas.push(Math.abs(score - expected[j]![1][name]!));
          expect(Math.abs(score - expected[j]![1][name]!)).toBeLessThanOrEqual(faceTolerance);
        }
      });
    });
    console.log(`${STAGES.join(' ')}: |Δ video score| against scan: max ${Math.max(...deltas).toExponential(2)}, mean ${(deltas.reduce((a, b) => a + b, 0) / deltas.length).toExponential(2)} over ${deltas.length}; |Δ face score|: max ${Math.max(...faceDeltas).toExponential(2)}, mean ${(faceDeltas.reduce((a, b) => a + b, 0) / faceDeltas.length).toExponential(2)} over ${faceDeltas.length}`);
    // Intermediate data is gone once a video is done.
    await eventually(async () => {
      for await (const _object of deployment.bucket.list('work/')) return undefined;
      return true;
    }, 10_000, 'the work area to be emptied');
  });

  it('analyses a replayed notification once, and keys with spaces, +, % and non-ASCII correctly', async () => {
    const key = 'incoming/ä b+c%d 映像.mp4';
    await deployment.bucket.put(key, await readFile(videos.fake2!));
    const { etag } = await deployment.bucket.head(key);
    const event = deployment.s3Event(key, etag);
    await deployment.publish('s3-events', event);
    await deployment.publish('s3-events', event);
    await deployment.publish('s3-events', { EventName: 's3:TestEvent', Service: 'MinIO' });
    const videoId = (await hashFile(videos.fake2!)).sha256;
    const report = await deployment.report(videoId);
    expect(report.source.uri).toBe(`s3://${deployment.s3.bucket}/${key}`);
    expect(report.label).toBe('FAKE');
    await sleep(3_000);
    const announced = deployment.announcements.filter((a) => a.videoId === videoId);
    expect(announced).toHaveLength(1);
    expect(announced[0]!.routingKey).toBe('report.done.FAKE');
  });

  it('takes crawler jobs for an S3 object and for a URL, and announces both with the crawler ids', async () => {
    const server = http.createServer(async (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'video/mp4' });
      res.end(await readFile(videos.real2!));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/clip.mp4`;
    try {
      await deployment.bucket.put('uploads/crawl/fake.mp4', await readFile(videos.fake!));
      await deployment.publish('submit', { schemaVersion: 1, source: { s3: { bucket: deployment.s3.bucket, key: 'uploads/crawl/fake.mp4' } }, correlationId: 'crawl-s3-1' });
      await deployment.publish('submit', { schemaVersion: 1, source: { url }, correlationId: 'crawl-url-1', detectors: ['meso4-df'] });
      const fromS3 = await eventually(async () => deployment.announcements.find((a) => a.correlationId === 'crawl-s3-1'), 90_000, 'the S3 job announcement');
      const fromUrl = await eventually(async () => deployment.announcements.find((a) => a.correlationId === 'crawl-url-1'), 90_000, 'the URL job announcement');
      expect(fromS3).toMatchObject({ routingKey: 'report.done.FAKE', status: 'done', label: 'FAKE', videoId: (await hashFile(videos.fake!)).sha256 });
      expect(fromUrl).toMatchObject({ routingKey: 'report.done.REAL', status: 'done', label: 'REAL', source: { kind: 'url', uri: url } });
      const report = await deployment.report(fromUrl.videoId as string);
      expect(Object.keys(report.detectors)).toEqual(['meso4-df']);
      expect(report.correlationId).toBe('crawl-url-1');
    } finally {
      server.close();
    }
  });

  it('takes a local file from `deepsift submit` and says where its report will be', async () => {
    const file = await variant(videos.real2!, 'submit');
    const env = Object.fromEntries(Object.entries(deployment.env).filter((e): e is [string, string] => e[1] !== undefined));
    const result = await runCli(['submit', file, '--correlation-id', 'cli-submit-1', '--detectors', 'meso4-df'], env);
    expect(result.code).toBe(0);
    const { submitted, report: where } = JSON.parse(result.stdout) as { submitted: { source: { s3: { key: string } } }; report: string };
    const videoId = (await hashFile(file)).sha256;
    expect(where).toBe(`s3://${deployment.s3.bucket}/reports/${videoId}.json`);
    expect(submitted.source.s3.key).toMatch(/^uploads\/.+\/real2-submit\.mp4$/);
    const report = await deployment.report(videoId);
    expect(report).toMatchObject({ status: 'done', label: 'REAL', correlationId: 'cli-submit-1' });
    expect(Object.keys(report.detectors)).toEqual(['meso4-df']);
  });

  it('dead-letters an invalid crawler job with the reason and goes on with the next one', async () => {
    await deployment.publish('submit', '{"schemaVersion": 1, "source": {"url": "ftp://example.org/v.mp4"}}');
    await deployment.publish('submit', 'not json at all');
    await deployment.bucket.put('uploads/after-invalid.mp4', await readFile(videos.real!));
    await deployment.publish('submit', { schemaVersion: 1, source: { s3: { bucket: deployment.s3.bucket, key: 'uploads/after-invalid.mp4' } }, correlationId: 'after-invalid' });
    await eventually(async () => deployment.announcements.find((a) => a.correlationId === 'after-invalid'), 90_000, 'the valid job after the invalid ones');
    const dead = await deployment.drain('ingest.crawler-jobs.dead');
    expect(dead.map((d) => d.headers['x-deepsift-reason'])).toEqual([
      expect.stringMatching(/^INVALID_MESSAGE: invalid crawler job: .*must match pattern/),
      'INVALID_MESSAGE: crawler job is not valid JSON',
    ]);
    expect(dead[1]!.body).toBe('not json at all');
  });

  it('survives the broker closing every connection mid-run: nothing is lost', async () => {
    const files = await Promise.all([videos.fake!, videos.real!, videos.real2!].map((f) => variant(f, 'outage')));
    const dropped = await Promise.all(files.map((f, i) => dropIntoIncoming(`incoming/outage-${i}.mp4`, f)));
    await sleep(1_500);
    expect(deployment.closeBrokerConnections()).toBeGreaterThanOrEqual(STAGES.length);
    const reports = await Promise.all(dropped.map((d) => deployment.report(d.videoId)));
    expect(reports.map((r) => `${r.status} ${r.label} ${r.error?.code ?? ''} ${r.error?.message ?? ''}`.trim())).toEqual(['done FAKE', 'done REAL', 'done REAL']);
    for (const report of reports) {
      expect(report.detectors['meso4-df']!.facesScored).toBe(report.faces.reduce((n, t) => n + t.frames.length, 0));
    }
  });

  it('gives every video exactly one complete report when a detector worker is killed holding a batch', async () => {
    // SIGTERM: the worker stops consuming, finishes, closes and exits cleanly.
    expect(await workers['detector-workers']!.stop()).toBe(0);
    expect(workers['detector-workers']!.log).toContain('"Stopped."');
    // Batches that wait 5 s to fill, so the worker is surely holding one when it is killed.
    const slow = await deployment.startWorker('detector-workers', {
      env: { DEEPSIFT_BATCH_MAX_SIZE: '1000', DEEPSIFT_BATCH_MAX_WAIT_MS: '5000', DEEPSIFT_LOG_LEVEL: 'debug' },
    });
    const files = await Promise.all([videos.fake!, videos.real!].map((f) => variant(f, 'kill')));
    const dropped = await Promise.all(files.map((f, i) => dropIntoIncoming(`incoming/kill-${i}.mp4`, f)));
    await eventually(async () => (slow.log.includes('"Crops received."') ? true : undefined), 60_000, 'the detector worker to hold crops');
    await slow.kill('SIGKILL');
    workers['detector-workers'] = await deployment.startWorker('detector-workers');

    const reports = await Promise.all(dropped.map((d) => deployment.report(d.videoId)));
    expect(reports.map((r) => r.label)).toEqual(['FAKE', 'REAL']);
    for (const report of reports) {
      const faces = report.faces.reduce((n, t) => n + t.frames.length, 0);
      expect(faces).toBeGreaterThan(0);
      expect(report.partial).toBeUndefined();
      for (const detector of Object.values(report.detectors)) expect(detector.facesScored).toBe(faces);
    }
    await sleep(2_000);
    for (const { videoId } of dropped) expect(deployment.announcements.filter((a) => a.videoId === videoId)).toHaveLength(1);
  });

  it('dead-letters a video that crashes its worker every time, writes a failed report, and finishes the others', async () => {
    const poison = await variant(videos.real!, 'poison');
    await appendFile(poison, POISON_MARKER);
    const good = await variant(videos.fake!, 'beside-poison');
    const crashes = workers[extractor]!.restarts;
    const dropped = [await dropIntoIncoming('incoming/poison.mp4', poison), await dropIntoIncoming('incoming/good.mp4', good)];

    const [failed, done] = await Promise.all(dropped.map((d) => deployment.report(d.videoId, 120_000)));
    expect(failed).toMatchObject({ status: 'failed', label: null, error: { code: 'RETRIES_EXHAUSTED', stage: 'frame-extractor' } });
    expect(failed!.error!.message).toMatch(/delivered \d+ times without an acknowledgement/);
    expect(done).toMatchObject({ status: 'done', label: 'FAKE' });
    expect(workers[extractor]!.restarts - crashes).toBeGreaterThanOrEqual(3);
    const dead = await deployment.drain('frame-extractor.dead');
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!.body).videoId).toBe(dropped[0]!.videoId);
    expect(deployment.announcements.find((a) => a.videoId === dropped[0]!.videoId)).toMatchObject({ routingKey: 'report.failed.NONE' });
  });

  it('leaves nothing in the work area once every video is reported', async () => {
    const left = async () => {
      const keys: string[] = [];
      for await (const object of deployment.bucket.list('work/')) keys.push(object.key);
      return keys;
    };
    await eventually(async () => ((await left()).length === 0 ? true : undefined), 20_000, 'the work area to be emptied').catch(() => undefined);
    expect(await left()).toEqual([]);
  });
});
