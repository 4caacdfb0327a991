/**
 * Distributed deepsift when things go wrong, as an operator meets it: a worker without
 * ffmpeg, a hung ffmpeg, rolling restarts of busy workers, a late duplicate message, an
 * object-store outage, and two aggregator replicas racing. Real worker processes on the
 * local RabbitMQ and an S3 server on loopback; nothing is stubbed but the ffmpeg executables
 * some tests break.
 */
import { execFileSync } from 'node:child_process';
import { chmod, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VideoReport } from '../aggregator';
import { DEFAULT_RETRY_POLICY, ROUTING } from '../common';
import { hashFile } from '../ingest';
import { runCli } from './cli-runner';
import { Deployment, eventually, sleep, type WorkerProcess } from './distributed-harness';
import { makeFaceVideo, makeTempDir, runFfmpeg, sharedDir } from './video-fixtures';

const FACES = path.join(sharedDir(), 'faces');

jest.setTimeout(300_000);

describe('distributed deepsift under failure', () => {
  let deployment: Deployment;
  let dir: string;
  let face: string;
  let counter = 0;

  beforeAll(async () => {
    dir = await makeTempDir();
    face = await makeFaceVideo(path.join(FACES, 'real', 'real00240.jpg'), path.join(dir, 'face.mp4'));
    deployment = await Deployment.start({ DEEPSIFT_SHUTDOWN_GRACE_MS: '300' });
    await deployment.listenToResults();
    for (const stage of ['aggregator', 'detector-workers', 'face-cropper', 'ingest']) await deployment.startWorker(stage);
  });

  afterAll(async () => {
    await deployment?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A new video: `file` remuxed with a tag, so its bytes (and videoId) are new. */
  async function variant(file: string): Promise<string> {
    const out = path.join(dir, `v${++counter}.mp4`);
    await runFfmpeg(['-i', file, '-c', 'copy', '-metadata', `comment=variant ${counter}`, out]);
    return out;
  }

  /** Drops a video into incoming/ with its bucket notification; resolves with its videoId. */
  async function submit(file: string): Promise<string> {
    const key = `incoming/${path.basename(file)}`;
    await deployment.bucket.put(key, await readFile(file));
    const { etag } = await deployment.bucket.head(key);
    await deployment.publish('s3-events', deployment.s3Event(key, etag));
    return (await hashFile(file)).sha256;
  }

  /** An executable script standing in for ffmpeg. */
  async function tool(name: string, body: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, `#!/bin/sh\n${body}\n`);
    await chmod(file, 0o755);
    return file;
  }

  const logsOf = (workers: WorkerProcess[]) => workers.map((w) => w.log).join('\n');

  it('a frame extractor without ffmpeg takes no attempt from a video, at start or when ffmpeg goes missing later', async () => {
    // At start: it refuses to run at all (exit 3), before taking any message.
    const noFfmpeg = await runCli(['worker', 'frame-extractor'], { ...(deployment.env as Record<string, string>), DEEPSIFT_FFMPEG: path.join(dir, 'missing', 'ffmpeg') });
    expect(noFfmpeg.code).toBe(3);
    expect(noFfmpeg.stderr).toMatch(/ffmpeg/);

    // Later: a worker whose ffmpeg vanishes hands the job back, stops taking work and exits
    // (3) after DEEPSIFT_DEPENDENCY_GIVE_UP_MS; its orchestrator (here the harness) restarts it.
    const ffmpeg = await tool('ffmpeg-wrapper', 'exec ffmpeg "$@"');
    const worker = await deployment.startWorker('frame-extractor', {
      supervise: true,
      env: { DEEPSIFT_FFMPEG: ffmpeg, DEEPSIFT_DEPENDENCY_GIVE_UP_MS: '2000' },
    });
    await unlink(ffmpeg);
    const videoId = await submit(await variant(face));
    await eventually(async () => (worker.log.includes('"outcome":"hand_back"') ? true : undefined), 60_000, 'the job to be handed back');
    await eventually(async () => (worker.restarts >= 1 ? true : undefined), 30_000, 'the worker to give up and be restarted');
    expect(await deployment.bucket.exists(`reports/${videoId}.json`)).toBe(false);
    await writeFile(ffmpeg, '#!/bin/sh\nexec ffmpeg "$@"\n');
    await chmod(ffmpeg, 0o755);
    const report = await deployment.report(videoId);
    expect(report).toMatchObject({ status: 'done', label: 'REAL' });
    expect(worker.log).not.toContain('"outcome":"retry"');
    expect(worker.log).toMatch(/stayed unusable/);
    await worker.stop();
  });

  it('kills a hung ffmpeg at its deadline: a failed report DEADLINE_EXCEEDED, and no process left behind', async () => {
    const hung = await tool('hung-ffmpeg', '[ "$1" = -version ] && exec ffmpeg -version\nsleep 6007');
    const worker = await deployment.startWorker('frame-extractor', { env: { DEEPSIFT_FFMPEG: hung, DEEPSIFT_DECODE_DEADLINE_MS: '1500' } });
    const videoId = await submit(await variant(face));
    const report = await deployment.report(videoId, 60_000);
    expect(report).toMatchObject({ status: 'failed', error: { code: 'DEADLINE_EXCEEDED', stage: 'frame-extractor' } });
    expect(report.error!.message).toMatch(/deadline of 1500 ms/);
    expect(pgrep('sleep 6007')).toEqual([]);
    await worker.stop();
    expect(pgrep('sleep 6007')).toEqual([]);
  });

  it('SIGTERM of a busy worker of each stage, three times in a row, spends no attempt', async () => {
    // Every decode starts 6 s late: a signal that finds the extractor busy finds it busy for far
    // longer than the grace time (300 ms), so its message is handed back, not finished in time.
    const slow = await tool('slow-ffmpeg', '[ "$1" = -version ] || sleep 6\nexec ffmpeg "$@"');
    const sample = await variant(path.join(sharedDir(), 'videos', 'interview_1080p.mp4'));
    const env: Record<string, Record<string, string>> = {
      'frame-extractor': { DEEPSIFT_FFMPEG: slow },
      // Crops wait in the batcher for 2 s: the detector worker is busy when the signal comes.
      'detector-workers': { DEEPSIFT_BATCH_MAX_SIZE: '64', DEEPSIFT_BATCH_MAX_WAIT_MS: '2000' },
    };
    const queueOf: Record<string, string> = { 'frame-extractor': 'frame-extractor', 'face-cropper': 'face-cropper', 'detector-workers': 'detector.meso4-df', aggregator: 'aggregator' };
    const stopped: WorkerProcess[] = [];
    let current: Record<string, WorkerProcess | undefined> = {};
    const workerOf = (stage: string) => deployment.workers.filter((w) => w.stage === stage && w.child.exitCode === null && w.child.signalCode === null).at(-1);
    // The detector workers of beforeAll are swapped for ones with a slow batcher.
    for (const stage of ['detector-workers']) {
      const old = workerOf(stage)!;
      await old.stop();
      stopped.push(old);
      current[stage] = await deployment.startWorker(stage, { env: env[stage] });
    }
    current['frame-extractor'] = await deployment.startWorker('frame-extractor', { env: env['frame-extractor'] });
    const videoIds: string[] = [];
    for (const stage of ['frame-extractor', 'face-cropper', 'detector-workers', 'aggregator']) {
      videoIds.push(await submit(await variant(sample)));
      // Three attempts are allowed (DEFAULT_RETRY_POLICY): three SIGTERMs that each spent one
      // would dead-letter the video as RETRIES_EXHAUSTED, as before issue 6.
      for (let round = 0; round < DEFAULT_RETRY_POLICY.maxAttempts; round++) {
        // Wait until the stage holds a message (the aggregator's are too quick to catch every time).
        await eventually(async () => ((deployment.queueDepths().get(queueOf[stage]!)?.unacked ?? 0) > 0 ? true : undefined), stage === 'aggregator' ? 5_000 : 60_000, `${stage} to be busy`)
          .catch(() => undefined);
        const worker = current[stage] ?? workerOf(stage)!;
        const code = await worker.stop();
        expect(code).toBe(0);
        stopped.push(worker);
        current[stage] = await deployment.startWorker(stage, { env: env[stage] });
      }
    }
    const reports = await Promise.all(videoIds.map((id) => deployment.report(id, 180_000)));
    expect(reports.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    const logs = logsOf([...stopped, ...Object.values(current).filter((w): w is WorkerProcess => w !== undefined)]);
    expect(logs).toContain('"outcome":"hand_back"');
    expect(logs).not.toContain('"outcome":"retry"');
    expect(logs).not.toContain('RETRIES_EXHAUSTED');
    for (const worker of Object.values(current)) await worker?.stop();
    // Back to the plain set-up for the next tests (the frame extractor is started by each test).
    for (const stage of ['aggregator', 'detector-workers', 'face-cropper']) await deployment.startWorker(stage);
  }, 600_000); // twelve restarts, each loading its models

  it('drops a video.frames delivered again after its video was reported, without spending an attempt on it', async () => {
    // Such a late copy is what a worker stopped between publishing its faces and settling its
    // message leaves: its frames and the work area are gone, and nothing is left to crop.
    const alive = (stage: string) => deployment.workers.filter((w) => w.stage === stage && w.child.exitCode === null && w.child.signalCode === null);
    const extractor = await deployment.startWorker('frame-extractor');
    const frames = await deployment.tapPipeline(ROUTING.frames);
    try {
      const videoId = await submit(await variant(face));
      const report = await deployment.report(videoId);
      expect(report.status).toBe('done');
      const workArea = async () => {
        const keys: string[] = [];
        for await (const object of deployment.bucket.list(`work/${videoId}/`)) keys.push(object.key);
        return keys;
      };
      await eventually(async () => ((await workArea()).length === 0 ? true : undefined), 20_000, 'the work area to be emptied');
      const copy = await frames.take();
      const croppers = alive('face-cropper');
      const logStarts = croppers.map((w) => w.log.length);
      const newLogs = () => croppers.map((w, i) => w.log.slice(logStarts[i])).join('\n');
      frames.replay(copy);
      await eventually(async () => (newLogs().includes('a late duplicate; dropping it') ? true : undefined), 30_000, 'the copy to be dropped');
      expect(newLogs()).not.toContain('"outcome":"retry"');
      await sleep(1_000);
      expect(await deployment.report(videoId)).toEqual(report);
      expect(await workArea()).toEqual([]);
    } finally {
      await frames.close();
      await extractor.stop();
    }
  });

  it('rides out an object-store outage: every worker keeps running and each video gets exactly one report', async () => {
    const extractor = await deployment.startWorker('frame-extractor');
    const running = deployment.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    const files = await Promise.all([variant(face), variant(face), variant(face)]);
    const videoIds: string[] = [];
    for (const file of files) videoIds.push(await submit(file));
    await sleep(500);
    await deployment.s3.pause();
    await sleep(6_000);
    await deployment.s3.resume();
    const reports = await Promise.all(videoIds.map((id) => deployment.report(id, 120_000)));
    expect(reports.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    await sleep(2_000);
    for (const videoId of videoIds) expect(deployment.announcements.filter((a) => a.videoId === videoId)).toHaveLength(1);
    for (const worker of running) {
      expect(worker.child.exitCode).toBeNull();
      expect(worker.restarts).toBe(0);
    }
    expect(logsOf(running)).toContain('A dependency is back');
    await extractor.stop();
  });

  it('two aggregator replicas racing partial reports against the last scores: no report overwritten, each announced once', async () => {
    const stopAll = async (stage: string) => {
      for (const w of deployment.workers.filter((x) => x.stage === stage)) await w.stop();
    };
    await stopAll('aggregator');
    await stopAll('detector-workers');
    // The partial-report timeout close to the detectors' pace: scores arrive around it.
    const aggregatorEnv = { DEEPSIFT_PARTIAL_REPORT_TIMEOUT_MS: '1200' };
    const replicas = [await deployment.startWorker('aggregator', { env: aggregatorEnv }), await deployment.startWorker('aggregator', { env: aggregatorEnv })];
    await deployment.startWorker('detector-workers', { env: { DEEPSIFT_BATCH_MAX_SIZE: '64', DEEPSIFT_BATCH_MAX_WAIT_MS: '700' } });
    await deployment.startWorker('frame-extractor', { env: { DEEPSIFT_VIDEO_CONCURRENCY: '2' } });
    // Every report as first seen; any later change of one is an overwrite.
    const firstSeen = new Map<string, string>();
    const overwritten: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        try {
          for await (const object of deployment.bucket.list('reports/')) {
            const body = (await deployment.bucket.get(object.key)).toString();
            JSON.parse(body); // s3rver writes in place: a body cut short is read again next round
            if (!firstSeen.has(object.key)) firstSeen.set(object.key, body);
            else if (body !== firstSeen.get(object.key)) overwritten.push(object.key);
          }
        } catch {
          // A report listed and read while being written: looked at again next round.
        }
        await sleep(50);
      }
    })();
    const videoIds: string[] = [];
    try {
      for (let round = 0; round < 3; round++) {
        const files = await Promise.all([variant(face), variant(face), variant(face)]);
        const ids: string[] = [];
        for (const file of files) ids.push(await submit(file));
        await Promise.all(ids.map((id) => deployment.report(id, 120_000)));
        videoIds.push(...ids);
      }
      await sleep(3_000);
    } finally {
      watching = false;
      await watcher;
    }
    expect(overwritten).toEqual([]);
    for (const videoId of videoIds) {
      expect(deployment.announcements.filter((a) => a.videoId === videoId)).toHaveLength(1);
      const final = (await deployment.bucket.get(`reports/${videoId}.json`)).toString();
      expect(final).toBe(firstSeen.get(`reports/${videoId}.json`));
      expect((JSON.parse(final) as VideoReport).status).toBe('done');
    }
    const partial = videoIds.filter((id) => (JSON.parse(firstSeen.get(`reports/${id}.json`)!) as VideoReport).partial === true).length;
    console.log(`two aggregators: ${videoIds.length} videos, ${partial} partial reports, announcements once each`);
    expect(logsOf(replicas)).not.toContain('"outcome":"dead_letter"');
  });
});

/** Processes whose command line contains `pattern` (`pgrep -f`). */
function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
