/**
 * The dead-letter reporter on the in-memory transport: a detector's crops given up for an
 * analysis still collecting become a failed video with the source the aggregator recorded;
 * for an analysis already reported, the failure is only logged, not retried in vain.
 */
import {
  createEnvelope,
  createSilentLogger,
  DEFAULT_RETRY_POLICY,
  MemoryStorage,
  MemoryTransport,
  pipelineQueues,
  PipelineMetrics,
  QUEUES,
  ROUTING,
  VideoRejectedError,
  type AnyEnvelope,
} from '../common';
import { AnalysisStateStore } from './analysis-state';
import { DeadLetterReporter } from './dead-letter-reporter';
import { withPart } from './video-parts';

const DETECTOR = 'a';
const source = { kind: 'file' as const, uri: 'v.mp4', path: '/v.mp4', submittedAt: new Date().toISOString() };

function facesOf(videoId: string) {
  return createEnvelope('video.faces', videoId, 'job-1', {
    source,
    detectors: [DETECTOR],
    video: { durationSeconds: 1, width: 64, height: 64, fps: 2, codec: 'h264', frameCount: 2, rotationDegrees: 0, sizeBytes: 9 },
    faceDetector: { name: 'ultraface-rfb-640', sha256: 'f'.repeat(64) },
    frames: { sampled: 2, withFaces: 0, withoutFaces: 2 },
    tracks: [],
    cropCount: 0,
    timings: {},
  });
}

describe('DeadLetterReporter', () => {
  const transport = new MemoryTransport();
  const state = new MemoryStorage();
  const states = new AnalysisStateStore(state);
  const metrics = new PipelineMetrics();
  const failed: AnyEnvelope[] = [];
  let reporter: DeadLetterReporter;

  beforeAll(async () => {
    for (const spec of pipelineQueues([DETECTOR])) await transport.declareQueue(spec);
    // A detector that gives up every message it gets.
    await transport.consume(QUEUES.detector(DETECTOR), async () => {
      throw new VideoRejectedError('DETECTOR_FAILED', 'cannot score a crop');
    }, { prefetch: 1, retryPolicy: DEFAULT_RETRY_POLICY });
    await transport.consume(QUEUES.aggregator, async ({ envelope }) => void failed.push(envelope), { prefetch: 4, retryPolicy: DEFAULT_RETRY_POLICY });
    reporter = new DeadLetterReporter({ transport, logger: createSilentLogger(), metrics, state, work: new MemoryStorage() });
    await reporter.start();
  });

  afterAll(async () => {
    await reporter.close();
    await transport.close();
  });

  async function outcomes(): Promise<Record<string, number>> {
    const values = (await metrics.messagesTotal.get()).values.filter((v) => v.labels.stage === 'aggregator');
    return Object.fromEntries(values.map((v) => [v.labels.outcome, v.value]));
  }

  async function giveUpCrops(videoId: string): Promise<void> {
    await transport.publish(ROUTING.crops(DETECTOR), createEnvelope('video.crops', videoId, 'job-1', { detectors: [DETECTOR], crops: [] }));
  }

  it('turns the crops a detector gave up into a failed video with the source the aggregator recorded', async () => {
    const videoId = '1'.repeat(64);
    const current = await states.read({ videoId, correlationId: 'job-1' });
    await states.move(current, withPart(current.state, facesOf(videoId))!);
    await giveUpCrops(videoId);
    while (failed.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(failed[0]).toMatchObject({ type: 'video.failed', videoId, payload: { source, stage: 'detector-workers', error: { code: 'DETECTOR_FAILED', message: 'cannot score a crop' } } });
    expect(await outcomes()).toEqual({ ack: 1 });
  });

  it('only logs what is given up about an analysis already reported, without retrying it', async () => {
    const videoId = '2'.repeat(64);
    const analysis = { videoId, correlationId: 'job-1' };
    const current = await states.read(analysis);
    await states.move(current, withPart(current.state, facesOf(videoId))!);
    // Reported (a partial report, say): the state keeps no parts any more.
    await states.move(await states.read(analysis), { ...analysis, status: 'announced' });
    await giveUpCrops(videoId);
    while ((await outcomes()).ack !== 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await outcomes()).toEqual({ ack: 2 });
    expect(failed.map((f) => f.videoId)).toEqual(['1'.repeat(64)]);
  });
});
