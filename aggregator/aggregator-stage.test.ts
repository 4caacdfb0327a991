import {
  createEnvelope,
  createSilentLogger,
  DEFAULT_RETRY_POLICY,
  MemoryStorage,
  MemoryTransport,
  pipelineQueues,
  PipelineMetrics,
  QUEUES,
  type AnyEnvelope,
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

async function setUp(work: MemoryStorage, reports: MemoryStorage) {
  const transport = new MemoryTransport();
  for (const spec of pipelineQueues(['a', 'b'])) await transport.declareQueue(spec);
  const announced: AnyEnvelope[] = [];
  await transport.consume(QUEUES.reports, async (d) => { announced.push(d.envelope); }, { prefetch: 1, retryPolicy: DEFAULT_RETRY_POLICY });
  const stage = new AggregatorStage(
    { transport, logger: createSilentLogger(), metrics: new PipelineMetrics(), reports, reportPrefix: 'reports/', work },
    settings,
    { prefetch: 8, partialReportTimeoutMs: 60_000, sweepIntervalMs: 0 },
  );
  await stage.start();
  return { transport, stage, announced };
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const readReport = async (reports: MemoryStorage) => JSON.parse((await reports.get(`reports/${VIDEO}.json`)).toString()) as VideoReport;

describe('AggregatorStage', () => {
  it('finishes a video after a restart: its parts live in the work area, not in the process', async () => {
    const work = new MemoryStorage();
    const reports = new MemoryStorage();
    const first = await setUp(work, reports);
    await first.transport.publish('video.faces', faces);
    await first.transport.publish('video.scores', scores('a', 0.9));
    await settle();
    await first.stage.close();
    await first.transport.close();
    expect(await reports.exists(`reports/${VIDEO}.json`)).toBe(false);

    const second = await setUp(work, reports);
    await second.transport.publish('video.scores', scores('b', 0.7));
    await settle();
    const report = await readReport(reports);
    expect(report).toMatchObject({ status: 'done', label: 'FAKE', correlationId: 'job-1' });
    expect(report.score).toBeCloseTo(0.8, 10);
    expect(report.partial).toBeUndefined();
    expect(second.announced).toHaveLength(1);
    expect(work.sizeBytes).toBe(0);
    await second.stage.close();
    await second.transport.close();
  });

  it('writes a partial report when a detector stays silent past the timeout', async () => {
    const work = new MemoryStorage();
    const reports = new MemoryStorage();
    const { transport, stage, announced } = await setUp(work, reports);
    await transport.publish('video.faces', faces);
    await transport.publish('video.scores', scores('a', 0.2));
    await settle();
    await stage.sweep(Date.now() + 30_000);
    expect(await reports.exists(`reports/${VIDEO}.json`)).toBe(false);
    await stage.sweep(Date.now() + 61_000);
    const report = await readReport(reports);
    expect(report).toMatchObject({ status: 'done', partial: true, missingDetectors: ['b'], label: 'REAL' });
    expect(report.detectors.b).toMatchObject({ score: null, facesScored: 0 });
    await settle();
    expect(announced).toHaveLength(1);
    await stage.close();
    await transport.close();
  });
});
