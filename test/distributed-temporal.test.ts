/**
 * A temporal detector in distributed mode: LRNet (`lrnet-ffpp`) beside MesoNet on worker
 * processes (RabbitMQ, a loopback S3 server) in the default layout, where the face cropper
 * runs in the decode group and reads the dense clips from the frame extractor's copy of the
 * video. The reports of upstream LRNet's four demo videos must give the scores `deepsift scan`
 * gives; a face cropper run alone refuses temporal detectors at start.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { VideoReport } from '../aggregator';
import { hashFile } from '../ingest';
import { runCli } from './cli-runner';
import { Deployment, eventually } from './distributed-harness';
import { freePort } from './prometheus-server';
import { makeTempDir, sharedDir } from './video-fixtures';

const DETECTORS = 'meso4-df,lrnet-ffpp';
const DEMO_VIDEOS = {
  real: ['real/lrnet_ff_real', 'real/lrnet_dfo_real'],
  fake: ['fake/lrnet_ff_fake', 'fake/lrnet_dfo_fake'],
};
const ALL_DEMO_VIDEOS = [...DEMO_VIDEOS.real, ...DEMO_VIDEOS.fake];
/** The decode group reads the same bytes with the same models as `scan`: only float noise may differ. */
const TOLERANCE = 1e-4;

jest.setTimeout(600_000);

describe(`distributed deepsift with DEEPSIFT_DETECTORS=${DETECTORS}, decode group`, () => {
  let deployment: Deployment;
  let dir: string;
  /** The decode group's metrics port, for /readyz. */
  let decodePort: number;

  beforeAll(async () => {
    dir = await makeTempDir();
    deployment = await Deployment.start({ DEEPSIFT_DETECTORS: DETECTORS });
    decodePort = await freePort();
    for (const stage of ['aggregator', 'detector-workers', 'frame-extractor,face-cropper', 'ingest']) {
      await deployment.startWorker(stage, stage.includes('face-cropper') ? { env: { DEEPSIFT_METRICS_PORT: String(decodePort) } } : {});
    }
  });

  afterAll(async () => {
    await deployment?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('scores the four demo videos with lrnet-ffpp as `deepsift scan` does, fakes above reals', async () => {
    const files = ALL_DEMO_VIDEOS.map((name) => path.join(sharedDir(), 'eval', `${name}.mp4`));
    const videoIds: string[] = [];
    for (const [i, file] of files.entries()) {
      const key = `incoming/demo-${i}.mp4`;
      await deployment.bucket.put(key, await readFile(file));
      await deployment.publish('s3-events', deployment.s3Event(key, (await deployment.bucket.head(key)).etag));
      videoIds.push((await hashFile(file)).sha256);
    }
    const reports: VideoReport[] = [];
    for (const videoId of videoIds) reports.push(await deployment.report(videoId, 480_000));

    const scan = await runCli(['scan', ...files, '--detectors', DETECTORS, '--json', '--quiet', '--out', path.join(dir, 'scan')]);
    expect(scan.code).toBe(0);
    const scanned = JSON.parse(scan.stdout) as VideoReport[];
    reports.forEach((report, i) => {
      const reference = scanned[i]!;
      expect(report).toMatchObject({ status: 'done', videoId: reference.videoId, label: reference.label });
      expect(report.models.find((m) => m.name === 'lrnet-ffpp')?.kind).toBe('temporal-detector');
      expect(report.models.find((m) => m.name === 'faceapi-landmark68')?.kind).toBe('landmark-detector');
      expect(report.clips).toEqual(reference.clips);
      for (const name of ['lrnet-ffpp', 'meso4-df']) {
        expect(Math.abs(report.detectors[name]!.score! - reference.detectors[name]!.score!)).toBeLessThanOrEqual(TOLERANCE);
      }
      const lrnet = report.detectors['lrnet-ffpp']!;
      const expected = reference.detectors['lrnet-ffpp']!;
      expect(lrnet.aggregation).toBe('mean-block');
      expect(lrnet.clips!.map((c) => c.startFrame)).toEqual(expected.clips!.map((c) => c.startFrame));
      expect(lrnet.clips!.flatMap((c) => c.blockScores)).toHaveLength(8);
      expect(lrnet.tracks!.map((t) => t.trackId)).toEqual(expected.tracks!.map((t) => t.trackId));
      lrnet.clips!.forEach((clip, j) => {
        clip.blockScores.forEach((score, k) => expect(Math.abs(score - expected.clips![j]!.blockScores[k]!)).toBeLessThanOrEqual(TOLERANCE));
      });
    });
    const lrnetScore = (name: string) => reports[ALL_DEMO_VIDEOS.indexOf(name)]!.detectors['lrnet-ffpp']!.score!;
    expect(Math.min(...DEMO_VIDEOS.fake.map(lrnetScore))).toBeGreaterThan(Math.max(...DEMO_VIDEOS.real.map(lrnetScore)));
    const deltas = reports.map((r, i) => Math.abs(r.detectors['lrnet-ffpp']!.score! - scanned[i]!.detectors['lrnet-ffpp']!.score!));
    console.log(`lrnet-ffpp, workers against scan: |Δ score| max ${Math.max(...deltas).toExponential(2)}; scores ${reports.map((r) => r.detectors['lrnet-ffpp']!.score!.toFixed(4)).join(', ')}`);
    // Intermediate data is gone once the videos are done.
    await eventually(async () => {
      for await (const _object of deployment.bucket.list('work/')) return undefined;
      return true;
    }, 10_000, 'the work area to be emptied');
  });

  it("names the landmark net among the decode group's models in /readyz", async () => {
    const ready = await fetch(`http://127.0.0.1:${decodePort}/readyz`);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean; reason?: string }> };
    expect(ready.status).toBe(200);
    expect(body.checks.models!.reason).toContain('faceapi-landmark68');
  });

  it('refuses to start a face cropper alone with a temporal detector, naming the decode group', async () => {
    const env = Object.fromEntries(Object.entries(deployment.env).filter((e): e is [string, string] => e[1] !== undefined));
    const alone = await runCli(['worker', 'face-cropper'], env);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('lrnet-ffpp');
    expect(alone.stderr).toContain('deepsift worker frame-extractor,face-cropper');
  });
});
