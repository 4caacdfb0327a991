/**
 * `deepsift scan` with a temporal detector selected: LRNet (`lrnet-ffpp`) scores the dense
 * clips of upstream LRNet's four demo videos beside MesoNet, and its scores and reasons
 * reach the reports (real ffmpeg, real ONNX models).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { reportSchemaErrors, type VideoReport } from '../aggregator';
import { runCli } from './cli-runner';
import { makeTempDir, makeTestClip, sharedDir } from './video-fixtures';

const DEMO_VIDEOS = {
  real: ['real/lrnet_ff_real', 'real/lrnet_dfo_real'],
  fake: ['fake/lrnet_ff_fake', 'fake/lrnet_dfo_fake'],
};

describe('deepsift scan --detectors meso4-df,lrnet-ffpp', () => {
  let dir: string;
  let reports: Map<string, VideoReport>;

  beforeAll(async () => {
    dir = await makeTempDir();
    // A test pattern long enough for every clip (4 × 61 frames) and without a face.
    const faceless = await makeTestClip(path.join(dir, 'faceless.mp4'), { width: 320, height: 240, frames: 300, fps: 25 });
    const videos = [...DEMO_VIDEOS.real, ...DEMO_VIDEOS.fake].map((name) => path.join(sharedDir(), 'eval', `${name}.mp4`));
    const result = await runCli(['scan', ...videos, faceless, '--detectors', 'meso4-df,lrnet-ffpp', '--out', path.join(dir, 'reports'), '--json', '--quiet']);
    expect(result.code).toBe(0);
    reports = new Map((JSON.parse(result.stdout) as VideoReport[]).map((r) => [path.basename(r.source.uri, '.mp4'), r]));
  }, 600_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const lrnetScore = (name: string): number => reports.get(path.basename(name))!.detectors['lrnet-ffpp']!.score!;

  it('gives every report in the schema, with lrnet-ffpp among the detectors and models', () => {
    expect(reports.size).toBe(5);
    for (const report of reports.values()) {
      expect(reportSchemaErrors(report)).toEqual([]);
      expect(report.status).toBe('done');
      expect(Object.keys(report.detectors).sort()).toEqual(['lrnet-ffpp', 'meso4-df']);
      expect(report.models.find((m) => m.name === 'lrnet-ffpp')?.kind).toBe('temporal-detector');
    }
  });

  it('puts both demo fakes above both demo reals by the lrnet-ffpp score', () => {
    const reals = DEMO_VIDEOS.real.map(lrnetScore);
    const fakes = DEMO_VIDEOS.fake.map(lrnetScore);
    expect(Math.min(...fakes)).toBeGreaterThan(Math.max(...reals));
  });

  it('reports the video score as the mean of the block scores of its four clips, in the ensemble', () => {
    for (const name of [...DEMO_VIDEOS.real, ...DEMO_VIDEOS.fake]) {
      const report = reports.get(path.basename(name))!;
      const lrnet = report.detectors['lrnet-ffpp']!;
      const blocks = lrnet.clips!.flatMap((clip) => clip.blockScores);
      expect(lrnet.clips).toHaveLength(4);
      expect(blocks).toHaveLength(8);
      expect(lrnet.score).toBeCloseTo(blocks.reduce((a, b) => a + b, 0) / blocks.length, 10);
      expect(lrnet.aggregation).toBe('mean-block');
      expect(report.score).toBeCloseTo((lrnet.score! + report.detectors['meso4-df']!.score!) / 2, 10);
    }
  });

  it('says why a faceless video has no lrnet-ffpp score', () => {
    const report = reports.get('faceless')!;
    const lrnet = report.detectors['lrnet-ffpp']!;
    expect(report.label).toBe('UNKNOWN');
    expect(lrnet.score).toBeNull();
    expect(lrnet.label).toBe('UNKNOWN');
    expect(lrnet.reason).toMatch(/NO_FACE/);
    expect(lrnet.clips!.map((clip) => ('reason' in clip ? clip.reason : undefined))).toEqual(['NO_FACE', 'NO_FACE', 'NO_FACE', 'NO_FACE']);
  });
});
