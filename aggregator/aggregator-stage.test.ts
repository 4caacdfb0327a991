import {
  analysisStateKey,
  InfrastructureError,
  createEnvelope,
  createSilentLogger,
  DEFAULT_RETRY_POLICY,
  MemoryStorage,
  MemoryTransport,
  pipelineQueues,
  PipelineMetrics,
  QUEUES,
  type AnyEnvelope,
  type Storage,
} from '../common';
import { AggregatorStage } from './aggregator-stage';
import type { ReportSettings } from './build-report';
import type { VideoReport } from './report';

const VIDEO = 'd'.repeat(64);
const source = { kind: 'file' as const, uri: 'v.mp4', path: '/v.mp4', submittedAt: new Date().toISOString() };
const settings: ReportSettings = {
  verdictThreshold: 0.5, framesRequested: 2, deepsiftVersion: 'test', policyFor: () => ({ threshold: 0.5, aggregation: 'track-max' }),
};
const faces = createEnvelope('video.faces', VIDEO, 'job-1', {
  source,
  detectors: ['a', 'b'],
  video: { durationSeconds: 1, width: 64, height: 64, fps: 2, codec: 'h264', frameCount: 2, rotationDegrees: 0, sizeBytes: 9 },
  faceDetector: { name: 'ultraface-rfb-640', sha256: 'f'.repeat(64) },
  frames: { sampled: 2, withFaces: 2, withoutFaces: 0 },
  tracks: [{ trackId: 0, detections: [0, 1].map((s) => ({ frameIndex: s, ptsSeconds: s / 2, box: { x1: 0, y1: 0, x2: 50, y2: 50 }, faceScore: 0.9, cropId: `0-${s}` })) }],
  cropCount: 2,
  timings: {},
});
const scores = (detector: string, score: number) =>
  createEnvelope('video.scores', VIDEO, 'job-1', {
    detector, model: { name: detector, sha256: 'e'.repeat(64) }, scores: [{ cropId: '0-0', score }, { cropId: '0-1', score }], busyMs: 1,
  });

interface SetUpOptions {
  state?: MemoryStorage;
  partialReportTimeoutMs?: number;
  sweepIntervalMs?: number;
  transport?: MemoryTransport;
}

async function setUp(work: MemoryStorage, reports: Storage, options: SetUpOptions = {}) {
  const transport = options.transport ?? new MemoryTransport();
  if (!options.transport) for (const spec of pipelineQueues(['a', 'b'])) await transport.declareQueue(spec);
  const announced: AnyEnvelope[] = [];
  if (!options.transport) await transport.consume(QUEUES.reports, async (d) => { announced.push(d.envelope); }, { prefetch: 1, retryPolicy: DEFAULT_RETRY_POLICY });
  const stage = new AggregatorStage(
    { transport, logger: createSilentLogger(), metrics: new PipelineMetrics(), reports, reportPrefix: 'reports/', work, state: options.state ?? work },
    settings,
    { prefetch: 8, partialReportTimeoutMs: options.partialReportTimeoutMs ?? 60_000, sweepIntervalMs: options.sweepIntervalMs ?? 0 },
  );
  await stage.start();
  return { transport, stage, announced };
}

/** Polls until `check` holds (at most 10 s). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const readReport = async (reports: MemoryStorage) => JSON.parse((await reports.get(`reports/${VIDEO}.json`)).toString()) as VideoReport;
/** The stored state of an analysis of the test video (undefined when none is stored). */
const storedState = async (state: Storage, correlationId = 'job-1') => {
  const body = await state.get(analysisStateKey(VIDEO, correlationId)).catch(() => undefined);
  return body && (JSON.parse(body.toString()) as { status: string; faces?: unknown; scores?: Record<string, unknown> });
};
const workKeys = async (work: MemoryStorage) => {
  const keys: string[] = [];
  for await (const object of work.list('work/')) keys.push(object.key);
  return keys;
};

describe('AggregatorStage', () => {
  it('finishes a video after a restart: its parts live in the analysis state, not in the process', async () => {
    const work = new MemoryStorage();
    const reports = new MemoryStorage();
    const first = await setUp(work, reports);
    await first.transport.publish('video.faces', faces);
    await first.transport.publish('video.scores', scores('a', 0.9));
    await until(async () => (await storedState(work))?.scores?.a !== undefined, 'the scores of a to be stored');
    expect(await workKeys(work)).toEqual([]);
    await first.stage.close();
    await first.transport.close();
    expect(await reports.exists(`reports/${VIDEO}.json`)).toBe(false);

    const second = await setUp(work, reports);
    await second.transport.publish('video.scores', scores('b', 0.7));
    await until(() => second.announced.length === 1, 'the announcement');
    const report = await readReport(reports);
    expect(report).toMatchObject({ status: 'done', label: 'FAKE', correlationId: 'job-1' });
    expect(report.score).toBeCloseTo(0.8, 10);
    expect(report.partial).toBeUndefined();
    expect(await workKeys(work)).toEqual([]);
    await second.stage.close();
    await second.transport.close();
  });

  it('waits for a temporal detector even when no crop was cut, and reports why it has no score', async () => {
    const work = new MemoryStorage();
    const reports = new MemoryStorage();
    const { transport, stage, announced } = await setUp(work, reports);
    const faceless = createEnvelope('video.faces', VIDEO, 'job-1', {
      ...faces.payload,
      detectors: ['a', 'b'],
      temporalDetectors: ['b'],
      frames: { sampled: 2, withFaces: 0, withoutFaces: 2 },
      tracks: [],
      cropCount: 0,
    });
    await transport.publish('video.faces', faceless);
    await until(async () => (await storedState(work))?.faces !== undefined, 'the faces to be stored');
    expect(announced).toHaveLength(0);
    await transport.publish(
      'video.scores',
      createEnvelope('video.scores', VIDEO, 'job-1', {
        detector: 'b', model: { name: 'b', sha256: 'e'.repeat(64) }, scores: [], busyMs: 1,
        temporal: { clips: [{ startFrame: 0, blockScores: [], reason: 'NO_FACE' }], meanBlockScore: null, reason: 'no clip with a face' },
      }),
    );
    await until(() => announced.length === 1, 'the announcement');
    const report = await readReport(reports);
    expect(report).toMatchObject({ status: 'done', label: 'UNKNOWN', score: null });
    expect(report.detectors.b).toMatchObject({ score: null, reason: 'no clip with a face' });
    await stage.close();
    await transport.close();
  });

  it('writes a partial report from its own sweep timer when a detector stays silent past the timeout', async () => {
    const work = new MemoryStorage();
    const reports = new MemoryStorage();
    const { transport, stage, announced } = await setUp(work, reports, { partialReportTimeoutMs: 300, sweepIntervalMs: 25 });
    await transport.publish('video.faces', faces);
    await transport.publish('video.scores', scores('a', 0.2));
    await until(async () => (await storedState(work))?.scores?.a !== undefined, 'the scores of a to be stored');
    expect(await reports.exists(`reports/${VIDEO}.json`)).toBe(false);
    await until(() => announced.length === 1, 'the partial report');
    const report = await readReport(reports);
    expect(report).toMatchObject({ status: 'done', partial: true, missingDetectors: ['b'], label: 'REAL' });
    expect(report.detectors.b).toMatchObject({ score: null, facesScored: 0 });
    // The late scores of b change nothing: the analysis is reported.
    await transport.publish('video.scores', scores('b', 0.9));
    await new Promise((r) => setTimeout(r, 100));
    expect(announced).toHaveLength(1);
    expect((await readReport(reports)).partial).toBe(true);
    await stage.close();
    await transport.close();
  });

  it('two replicas racing the sweep against the last scores write one report and announce it once', async () => {
    for (let round = 0; round < 40; round++) {
      const work = new MemoryStorage();
      const state = new MemoryStorage();
      const reports = new CountingStorage();
      const a = await setUp(work, reports, { state });
      const b = await setUp(work, reports, { state, transport: a.transport });
      await a.transport.publish('video.faces', faces);
      await a.transport.publish('video.scores', scores('a', 0.9));
      await until(async () => (await storedState(state))?.scores?.a !== undefined, 'the scores of a');
      // The sweep of one replica (timeout long past) against the last scores reaching the other.
      await Promise.all([a.stage.sweep(Date.now() + 61_000), b.transport.publish('video.scores', scores('b', 0.7)), b.stage.sweep(Date.now() + 61_000)]);
      await until(() => a.announced.length >= 1, 'an announcement');
      await new Promise((r) => setTimeout(r, 10));
      expect(a.announced).toHaveLength(1);
      expect(reports.puts).toBe(1);
      expect(await workKeys(work)).toEqual([]);
      await a.stage.close();
      await b.stage.close();
      await a.transport.close();
    }
  });

  it('two replicas adding the last two scores at once lose neither: one complete report', async () => {
    for (let round = 0; round < 40; round++) {
      const work = new MemoryStorage();
      const state = new MemoryStorage();
      const reports = new CountingStorage();
      // Each replica on its own transport, so the two scores are handled at the same time.
      const a = await setUp(work, reports, { state });
      const b = await setUp(work, reports, { state });
      await a.transport.publish('video.faces', faces);
      await until(async () => (await storedState(state))?.faces !== undefined, 'the faces');
      await Promise.all([a.transport.publish('video.scores', scores('a', 0.9)), b.transport.publish('video.scores', scores('b', 0.7))]);
      await until(() => a.announced.length + b.announced.length >= 1, 'an announcement');
      await new Promise((r) => setTimeout(r, 10));
      expect(a.announced.length + b.announced.length).toBe(1);
      expect(reports.puts).toBe(1);
      const report = await readReport(reports);
      expect(report.partial).toBeUndefined();
      expect(report.score).toBeCloseTo(0.8, 10);
      for (const replica of [a, b]) {
        await replica.stage.close();
        await replica.transport.close();
      }
    }
  });

  it('reads and writes the analysis state once per message, and lists the work area only to empty it', async () => {
    const work = new RequestCountingStorage();
    const state = new RequestCountingStorage();
    const reports = new MemoryStorage();
    const { transport, stage, announced } = await setUp(work, reports, { state });
    await work.put(`work/${VIDEO}/job-1/crops/meso.webp`, Buffer.from('crops'));
    for (const envelope of [faces, scores('a', 0.9), scores('b', 0.7)]) await transport.publish(envelope.type, envelope);
    await until(() => announced.length === 1, 'the announcement');
    // Reads: one per message. Writes: the faces, a's scores, the claim with b's, `announced`.
    expect(state.counts).toMatchObject({ getVersioned: 3, putConditional: 4, list: 0 });
    expect(work.counts).toMatchObject({ get: 0, list: 1, delete: 1 });
    expect(await workKeys(work)).toEqual([]);
    await stage.close();
    await transport.close();
  });

  it('reports an analysis whose first parts an aggregator from before 2026-12 kept in the work area', async () => {
    const work = new MemoryStorage();
    const reports = new MemoryStorage();
    const { transport, stage, announced } = await setUp(work, reports, { partialReportTimeoutMs: 300, sweepIntervalMs: 25 });
    const legacy = (value: unknown) => Buffer.from(JSON.stringify({ receivedAt: new Date().toISOString(), correlationId: 'job-1', value }));
    await work.put(`work/${VIDEO}/job-1/aggregator/faces.json`, legacy(faces));
    await work.put(`work/${VIDEO}/job-1/aggregator/scores/a.json`, legacy(scores('a', 0.9).payload));
    await work.put(`aggregator/open/${VIDEO}/job-1`, Buffer.from(JSON.stringify({ videoId: VIDEO, correlationId: 'job-1' })));
    await transport.publish('video.scores', scores('b', 0.7));
    // The sweep finds the old parts once the faces are overdue: a complete report, not a partial one.
    await until(() => announced.length === 1, 'the report');
    const report = await readReport(reports);
    expect(report.partial).toBeUndefined();
    expect(report.score).toBeCloseTo(0.8, 10);
    expect(await workKeys(work)).toEqual([]);
    expect(await work.exists(`aggregator/open/${VIDEO}/job-1`)).toBe(false);
    await stage.close();
    await transport.close();
  });

  it('keeps sweeping past an analysis that fails, and survives a failed listing', async () => {
    const work = new MemoryStorage();
    const state = new MemoryStorage();
    const reports = new MemoryStorage();
    const { transport, stage, announced } = await setUp(work, reports, { state });
    const broken = createEnvelope('video.faces', 'b'.repeat(64), 'job-2', { ...faces.payload });
    await transport.publish('video.faces', broken);
    await transport.publish('video.faces', faces);
    const brokenKey = analysisStateKey('b'.repeat(64), 'job-2');
    await until(async () => (await state.exists(brokenKey)) && (await storedState(state))?.faces !== undefined, 'both face summaries');
    // The first analysis's state becomes unreadable; the second must still be reported.
    await state.put(brokenKey, Buffer.from('{ not json'));
    await expect(stage.sweep(Date.now() + 61_000)).resolves.toBeUndefined();
    await until(() => announced.length === 1, 'the second report');
    expect(announced[0]!.videoId).toBe(VIDEO);

    const failingList = Object.assign(Object.create(state) as MemoryStorage, {
      list: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('S3 LIST failed')) }) }),
    });
    const other = new AggregatorStage(
      { transport, logger: createSilentLogger(), metrics: new PipelineMetrics(), reports, reportPrefix: 'reports/', work, state: failingList },
      settings,
      { prefetch: 1, partialReportTimeoutMs: 1, sweepIntervalMs: 0 },
    );
    await expect(other.sweep()).resolves.toBeUndefined();
    await stage.close();
    await transport.close();
  });

  it('never lets a failure replace a done report, even when the existing report cannot be read', async () => {
    const work = new MemoryStorage();
    const reports = new UnreadableStorage();
    const { transport, stage, announced } = await setUp(work, reports);
    await reports.put(`reports/${VIDEO}.json`, Buffer.from(JSON.stringify({ status: 'done', label: 'FAKE' })));
    reports.unreadable = true;
    const failed = createEnvelope('video.failed', VIDEO, 'job-9', {
      source: faces.payload.source, stage: 'frame-extractor', error: { code: 'CORRUPT_VIDEO', message: 'broken' }, timings: {},
    });
    await transport.publish('video.failed', failed);
    await new Promise((r) => setTimeout(r, 100));
    reports.unreadable = false;
    expect(JSON.parse((await reports.get(`reports/${VIDEO}.json`)).toString())).toMatchObject({ status: 'done', label: 'FAKE' });
    // Once the store answers again, the failure is announced, and the done report still stands.
    await until(() => announced.length === 1, 'the announcement of the failure');
    expect(JSON.parse((await reports.get(`reports/${VIDEO}.json`)).toString())).toMatchObject({ status: 'done', label: 'FAKE' });
    await stage.close();
    await transport.close();
  });
});

/** Counts report writes. */
class CountingStorage extends MemoryStorage {
  puts = 0;
  override async put(key: string, body: Buffer): Promise<void> {
    this.puts++;
    await super.put(key, body);
  }
}

/** Counts the storage calls the aggregator makes, by method (each is one S3 request, a listing one per page). */
class RequestCountingStorage extends MemoryStorage {
  readonly counts: Record<string, number> = { get: 0, put: 0, delete: 0, list: 0, getVersioned: 0, putConditional: 0 };
  override async get(key: string): Promise<Buffer> {
    this.counts.get!++;
    return super.get(key);
  }
  override async delete(key: string): Promise<void> {
    this.counts.delete!++;
    await super.delete(key);
  }
  override list(prefix: string): ReturnType<MemoryStorage['list']> {
    this.counts.list!++;
    return super.list(prefix);
  }
  override async getVersioned(key: string): ReturnType<MemoryStorage['getVersioned']> {
    this.counts.getVersioned!++;
    return super.getVersioned(key);
  }
  override async putConditional(key: string, body: Buffer, ifVersion: string | null): Promise<string | undefined> {
    this.counts.putConditional!++;
    return super.putConditional(key, body, ifVersion);
  }
}

/** A report store whose reads fail while `unreadable` (an S3 outage). */
class UnreadableStorage extends MemoryStorage {
  unreadable = false;
  override async get(key: string): Promise<Buffer> {
    if (this.unreadable) throw new InfrastructureError('storage', 'object store unavailable (GET)');
    return super.get(key);
  }
}
