/**
 * In a stage group the frame extractor lends its copy of a video from the bucket to the
 * face cropper of the same process while the frames are handed over (the face cropper
 * decodes temporal detectors' clips from it), and removes the copy once the hand-off is done.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  createEnvelope,
  createSilentLogger,
  GroupTransport,
  LocalVideoFiles,
  MemoryStorage,
  MemoryTransport,
  PipelineMetrics,
  pipelineQueues,
  QUEUES,
  ROUTING,
  DEFAULT_RETRY_POLICY,
  type Envelope,
} from '../common';
import { makeTempDir, makeTestClip } from '../test/video-fixtures';
import { FrameExtractorStage } from './frame-extractor-stage';
import { DEFAULT_VIDEO_LIMITS } from './video-limits';

describe('FrameExtractorStage in a stage group', () => {
  let dir: string;
  beforeAll(async () => (dir = await makeTempDir()));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('lends the face cropper its copy of the video during the hand-off, then removes it', async () => {
    const video = await readFile(await makeTestClip(path.join(dir, 'clip.mp4'), { width: 160, height: 120, frames: 30, fps: 25 }));
    const bucket = new MemoryStorage();
    await bucket.put('incoming/clip.mp4', video);
    const broker = new MemoryTransport();
    const transport = new GroupTransport(broker, new Set([QUEUES.faceCropper]));
    for (const spec of pipelineQueues(['meso4-df'])) await transport.declareQueue(spec);
    const videoFiles = new LocalVideoFiles();
    const lent: Array<{ path: string | undefined; bytes: Buffer | undefined }> = [];
    let handedOff!: () => void;
    const done = new Promise<void>((resolve) => (handedOff = resolve));
    await transport.consume(QUEUES.faceCropper, async ({ envelope }) => {
      const file = videoFiles.pathOf(envelope.videoId, envelope.correlationId);
      lent.push({ path: file, bytes: file === undefined ? undefined : await readFile(file) });
      setImmediate(handedOff);
    }, { prefetch: 1, retryPolicy: DEFAULT_RETRY_POLICY });
    const stage = new FrameExtractorStage(
      { transport, logger: createSilentLogger(), metrics: new PipelineMetrics(), work: new MemoryStorage(), videos: bucket, videoFiles },
      { framesPerVideo: 4, allowFileSources: false, limits: DEFAULT_VIDEO_LIMITS, concurrency: 1, decoderThreads: 0, tempDir: dir, releaseFramesAfterHandOff: true },
    );
    await stage.start();
    const source = { kind: 's3' as const, bucket: 'b', key: 'incoming/clip.mp4', uri: 's3://b/incoming/clip.mp4', submittedAt: new Date().toISOString() };
    const job: Envelope<'video.job'> = createEnvelope('video.job', 'v'.repeat(64), 'c1', { source, sizeBytes: video.length, detectors: ['meso4-df'] });
    await transport.publish(ROUTING.job, job);
    await done;
    await stage.close(5_000);
    await broker.close();

    expect(lent).toHaveLength(1);
    expect(lent[0]!.bytes?.equals(video)).toBe(true);
    expect(existsSync(lent[0]!.path!)).toBe(false);
    expect(videoFiles.size).toBe(0);
  });
});
