/**
 * The embedded pipeline in-process: metrics count what happened, the work area is
 * emptied, and a video that crashes the face detector every time ends in a failed
 * report after its retries while the others are analysed.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createSilentLogger, LocalStorage, PipelineMetrics, resolveConfig, type RawImage } from '../common';
import { expandLocalInputs } from '../ingest';
import { EmbeddedPipeline } from '../cli/embedded-pipeline';
import { closePipelineModels, loadPipelineModels, type PipelineModels } from '../cli/pipeline-models';
import { cliEnv } from './cli-runner';
import { makeFaceVideo, makeTempDir, makeTestClip, sharedDir } from './video-fixtures';

async function metricValue(metrics: PipelineMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const sample = (metric?.values ?? []).find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return sample?.value ?? 0;
}

describe('EmbeddedPipeline', () => {
  let dir: string;
  let models: PipelineModels;
  const config = resolveConfig(cliEnv(), { frames: '8' });

  beforeAll(async () => {
    dir = await makeTempDir();
    models = await loadPipelineModels(config, createSilentLogger());
    await makeFaceVideo(path.join(sharedDir(), 'faces', 'df', 'df00204.jpg'), path.join(dir, 'in', 'fake.mp4'));
    await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00772.jpg'), path.join(dir, 'in', 'real.mp4'));
    await makeTestClip(path.join(dir, 'in', 'poison.mp4'), { width: 352, height: 288, frames: 20, fps: 10 });
  });
  afterAll(async () => {
    await closePipelineModels(models);
    await rm(dir, { recursive: true, force: true });
  });

  it('counts videos, frames and crops in its metrics and empties the work area', async () => {
    const metrics = new PipelineMetrics();
    const pipeline = await EmbeddedPipeline.create(config, {
      logger: createSilentLogger(), metrics, reports: new LocalStorage(path.join(dir, 'out1')), models,
    });
    const inputs = (await expandLocalInputs([path.join(dir, 'in')])).filter((i) => !i.uri.includes('poison'));
    const results = await pipeline.scan(inputs);
    await pipeline.close();

    expect(results.map((r) => r.report.label).sort()).toEqual(['FAKE', 'REAL']);
    expect(await metricValue(metrics, 'deepsift_videos_processed_total', { status: 'done', label: 'FAKE' })).toBe(1);
    expect(await metricValue(metrics, 'deepsift_videos_processed_total', { status: 'done', label: 'REAL' })).toBe(1);
    expect(await metricValue(metrics, 'deepsift_frames_sampled_total', { faces: 'yes' })).toBe(16);
    expect(await metricValue(metrics, 'deepsift_crops_scored_total', { detector: 'meso4-df' })).toBe(16);
    expect(await metricValue(metrics, 'deepsift_messages_total', { stage: 'frame-extractor', outcome: 'ack' })).toBe(2);
    expect(pipeline.workAreaBytes).toBe(0);
  });

  it('dead-letters a video that crashes the face detector on every attempt, with a failed report, and goes on', async () => {
    const crashing = {
      ...models,
      faceDetector: Object.assign(Object.create(models.faceDetector) as typeof models.faceDetector, {
        detect: async (frame: RawImage) => {
          if (frame.width === 352) throw new Error('face detector crashed');
          return models.faceDetector.detect(frame);
        },
      }),
    };
    const metrics = new PipelineMetrics();
    const pipeline = await EmbeddedPipeline.create(config, {
      logger: createSilentLogger(), metrics, reports: new LocalStorage(path.join(dir, 'out2')), models: crashing,
    });
    const results = await pipeline.scan(await expandLocalInputs([path.join(dir, 'in')]));
    await pipeline.close();

    const poison = results.find((r) => r.input.uri.endsWith('poison.mp4'))!.report;
    expect(poison.status).toBe('failed');
    expect(poison.error).toMatchObject({ code: 'RETRIES_EXHAUSTED', stage: 'face-cropper' });
    expect(poison.error!.message).toContain('face detector crashed');
    expect(await metricValue(metrics, 'deepsift_messages_total', { stage: 'face-cropper', outcome: 'retry' })).toBe(2);
    expect(await metricValue(metrics, 'deepsift_messages_total', { stage: 'face-cropper', outcome: 'dead_letter' })).toBe(1);
    expect(results.filter((r) => r.report.status === 'done')).toHaveLength(2);
    expect(pipeline.workAreaBytes).toBe(0);
  });
});
