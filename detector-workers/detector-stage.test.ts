/**
 * The detector worker with a real ONNX Runtime session (MesoNet Meso4-DF converted from the
 * upstream weights): a crop that cannot be scored fails its own video only; the crops of
 * another video that shared its inference batch are scored, on their first delivery.
 */
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import {
  createEnvelope,
  createLogger,
  cropBlobKey,
  DEFAULT_RETRY_POLICY,
  MemoryStorage,
  MemoryTransport,
  PipelineMetrics,
  pipelineQueues,
  QUEUES,
  ROUTING,
  type CropRef,
  type Delivery,
  type Envelope,
} from '../common';
import { ensureModel } from '../weights';
import { sharedDir } from '../test/video-fixtures';
import { DetectorWorker } from './detector-stage';
import { OnnxDeepfakeDetector } from './onnx-deepfake-detector';

const DETECTOR = 'meso4-df';
const MARGIN = 0.2;
const SIZE = 256;

/** A face from the shared test set as raw RGB, resized to `size`² (bilinear). */
async function faceCrop(file: string, size: number): Promise<Buffer> {
  return sharp(path.join(sharedDir(), 'faces', file)).resize(size, size, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
}

describe('DetectorWorker with a real ONNX session', () => {
  let detector: OnnxDeepfakeDetector;
  const transport = new MemoryTransport();
  const work = new MemoryStorage();
  const metrics = new PipelineMetrics();
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'warn',
    stream: new Writable({ write: (chunk: Buffer, _encoding, done) => (logLines.push(chunk.toString()), done()) }),
  });
  let worker: DetectorWorker;
  const scores: Array<Envelope<'video.scores'>> = [];
  const deadLetters: Delivery[] = [];

  beforeAll(async () => {
    const model = await ensureModel(DETECTOR, {
      cacheDir: process.env.DEEPSIFT_CACHE_DIR ?? path.join(os.tmpdir(), 'deepsift-test-cache'),
      mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir(), 'weights'),
    });
    detector = await OnnxDeepfakeDetector.create(model.manifest, model.onnxPath, model.sha256, { executionProviders: ['cpu'], intraOpThreads: 0 });
    for (const spec of pipelineQueues([DETECTOR])) await transport.declareQueue(spec);
    await transport.consume(QUEUES.aggregator, async ({ envelope }) => void (envelope.type === 'video.scores' && scores.push(envelope)), {
      prefetch: 16,
      retryPolicy: DEFAULT_RETRY_POLICY,
    });
    await transport.consume(QUEUES.deadLetterReports, async (delivery) => void deadLetters.push(delivery), { prefetch: 16, retryPolicy: DEFAULT_RETRY_POLICY });
    // A batch of four waits (up to a minute) for four crops: both videos' crops share it.
    worker = new DetectorWorker({ transport, logger, metrics, work }, detector, { batchMaxSize: 4, batchMaxWaitMs: 60_000, prefetch: 4 }, MARGIN);
    await worker.start();
  });
  afterAll(async () => {
    await worker.close();
    await transport.close();
    await detector.close();
  });

  async function putCrop(videoId: string, cropId: string, data: Buffer, size: number): Promise<CropRef> {
    const key = `work/${videoId}/crops/${cropId}.rgb`;
    await work.put(key, data);
    return { cropId, trackId: 0, frameIndex: 0, blobs: { [cropBlobKey(SIZE, MARGIN)]: { key, format: 'rgb24', width: size, height: size } } };
  }

  it('fails only the video with the bad crop, and scores the other video it shared a batch with', async () => {
    const good = [
      await putCrop('video-a', '0-0', await faceCrop('df/df00204.jpg', SIZE), SIZE),
      await putCrop('video-a', '0-1', await faceCrop('real/real00240.jpg', SIZE), SIZE),
    ];
    // A crop stored at the wrong size: it cannot be packed into the model's 256×256 input.
    const bad = [
      await putCrop('video-b', '0-0', await faceCrop('real/real00772.jpg', SIZE), SIZE),
      await putCrop('video-b', '0-1', await faceCrop('df/df01254.jpg', 200), 200),
    ];
    await transport.publish(ROUTING.crops(DETECTOR), createEnvelope('video.crops', 'video-a', 'corr-a', { detectors: [DETECTOR], crops: good }));
    await transport.publish(ROUTING.crops(DETECTOR), createEnvelope('video.crops', 'video-b', 'corr-b', { detectors: [DETECTOR], crops: bad }));
    while (scores.length + deadLetters.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));

    expect(scores.map((s) => s.videoId)).toEqual(['video-a']);
    const [fake, real] = scores[0]!.payload.scores;
    expect(fake).toMatchObject({ cropId: '0-0' });
    expect(real).toMatchObject({ cropId: '0-1' });
    expect(fake!.score).toBeGreaterThan(0.5);
    expect(real!.score).toBeLessThan(0.5);

    expect(deadLetters.map((d) => d.envelope.videoId)).toEqual(['video-b']);
    expect(deadLetters[0]!.deadLetterReason).toBe('DETECTOR_FAILED: meso4-df cannot score a crop: image is 200×200, the model takes 256×256');

    // The four crops were tried as one batch; video A was scored on its first delivery.
    const failedBatch = logLines.map((line) => JSON.parse(line) as { message: string; batchSize?: number }).find((l) => l.message.startsWith('Batch failed'));
    expect(failedBatch?.batchSize).toBe(4);
    const outcomes = (await metrics.messagesTotal.get()).values.filter((v) => v.labels.stage === 'detector-workers');
    expect(Object.fromEntries(outcomes.map((v) => [v.labels.outcome, v.value]))).toEqual({ ack: 1, dead_letter: 1 });
  });
});
