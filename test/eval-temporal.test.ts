/**
 * `deepsift eval` with a temporal detector: LRNet (`lrnet-ffpp`) measured beside the two DF
 * MesoNets on upstream LRNet's four demo videos, plus a two-second face video too short for
 * a dense clip (LRNet gives it no score), from a labels file of the test's own (real ffmpeg,
 * real ONNX models). Its figures are recomputed here from the reports eval wrote.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Calibration, VideoReport } from '../aggregator';
import type { EvaluationResult } from '../evaluation';
import { runCli } from './cli-runner';
import { makeFaceVideo, makeTempDir, sharedDir } from './video-fixtures';

const EVAL = path.join(sharedDir(), 'eval');
const DETECTORS = ['meso4-df', 'mesoinception-df', 'lrnet-ffpp'];
const DEMO_VIDEOS = ['real/lrnet_ff_real.mp4', 'real/lrnet_dfo_real.mp4', 'fake/lrnet_ff_fake.mp4', 'fake/lrnet_dfo_fake.mp4'];

/** AUC straight from its definition: the share of (fake, real) pairs in order, ties counting ½. */
function pairwiseAuc(fakes: number[], reals: number[]): number {
  let sum = 0;
  for (const f of fakes) for (const r of reals) sum += f > r ? 1 : f === r ? 0.5 : 0;
  return sum / (fakes.length * reals.length);
}

/** Mean binary cross-entropy, probabilities clipped to [1e-15, 1 − 1e-15] as the DFDC scored. */
function meanLogLoss(fakes: number[], reals: number[]): number {
  const clip = (p: number) => Math.min(Math.max(p, 1e-15), 1 - 1e-15);
  const losses = [...fakes.map((p) => -Math.log(clip(p))), ...reals.map((p) => -Math.log(1 - clip(p)))];
  return losses.reduce((a, b) => a + b, 0) / losses.length;
}

describe('deepsift eval --detectors meso4-df,mesoinception-df,lrnet-ffpp', () => {
  let dir: string;
  let shortVideo: string;
  let result: EvaluationResult;
  let stderr: string;
  const reportOf = new Map<string, VideoReport>();

  beforeAll(async () => {
    dir = await makeTempDir();
    // 50 frames at 25 fps: faces in the sparse sample, but shorter than one 61-frame clip.
    shortVideo = await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00240.jpg'), path.join(dir, 'short_real.mp4'), { seconds: 2 });
    const labels = path.join(dir, 'labels.csv');
    await writeFile(labels, ['path,label', ...DEMO_VIDEOS.map((v) => `${v},${v.startsWith('fake/') ? 'FAKE' : 'REAL'}`), `${shortVideo},REAL`].join('\n') + '\n');
    const run = await runCli([
      'eval', EVAL, '--labels', labels, '--detectors', DETECTORS.join(','),
      '--reports', path.join(dir, 'reports'), '--out', path.join(dir, 'out'),
      '--calibrate', path.join(dir, 'calibration.json'), '--json',
    ]);
    stderr = run.stderr;
    expect(run.code).toBe(0);
    result = JSON.parse(run.stdout) as EvaluationResult;
    for (const video of result.videos) {
      reportOf.set(video.name, JSON.parse(await readFile(path.join(dir, 'reports', `${video.videoId}.json`), 'utf8')) as VideoReport);
    }
  }, 600_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('measures lrnet-ffpp like the crop detectors, and leaves out the video it could not score, saying why', () => {
    expect(result).toMatchObject({ labelled: 5, n: 4, nReal: 2, nFake: 2 });
    expect(Object.keys(result.detectors)).toEqual(DETECTORS);
    expect(result.excluded).toEqual([
      expect.objectContaining({ name: shortVideo, label: 'REAL', reason: 'MISSING_DETECTOR', detail: 'no score from lrnet-ffpp (video shorter than one clip of 61 frames)' }),
    ]);
    expect(result.correlation.pearson['lrnet-ffpp']!['lrnet-ffpp']).toBeCloseTo(1, 12);
    expect(Object.keys(result.correlation.spearman)).toEqual(DETECTORS);
    expect(stderr).toMatch(/lrnet-ffpp/);
    expect(stderr).toMatch(/reports: 0 reused, 5 scanned/);
  });

  it("gives lrnet-ffpp's AUC, log loss and accuracy computed from the reports' mean block scores, and counts it in the ensemble", () => {
    const names = [...reportOf.keys()];
    const labelOf = (name: string) => result.videos.find((v) => v.name === name)!.label;
    const split = (score: (r: VideoReport) => number) => ({
      fakes: names.filter((n) => labelOf(n) === 'FAKE').map((n) => score(reportOf.get(n)!)),
      reals: names.filter((n) => labelOf(n) === 'REAL').map((n) => score(reportOf.get(n)!)),
    });
    const lrnet = (r: VideoReport) => r.detectors['lrnet-ffpp']!;
    for (const report of reportOf.values()) expect(lrnet(report).aggregation).toBe('mean-block');
    const { fakes, reals } = split((r) => lrnet(r).score!);
    const metrics = result.detectors['lrnet-ffpp']!;
    expect(metrics.auc!.value).toBeCloseTo(pairwiseAuc(fakes, reals), 12);
    expect(metrics.logLoss.value).toBeCloseTo(meanLogLoss(fakes, reals), 12);
    const correct = [...fakes.filter((s) => s >= 0.5), ...reals.filter((s) => s < 0.5)].length;
    expect(metrics.accuracy.value).toBeCloseTo(correct / 4, 12);
    expect(metrics.threshold).toBe(0.5);
    // The ensemble eval measures is the reports' own: the mean of the three detectors, LRNet included.
    for (const video of result.videos) expect(video.ensemble).toBeCloseTo(reportOf.get(video.name)!.score!, 12);
    const ensemble = split((r) => r.score!);
    expect(result.ensemble.auc!.value).toBeCloseTo(pairwiseAuc(ensemble.fakes, ensemble.reals), 12);
  });

  it('puts lrnet-ffpp in eval.json, eval.md and the calibration', async () => {
    const out = path.join(dir, 'out');
    expect(JSON.parse(await readFile(path.join(out, 'eval.json'), 'utf8'))).toEqual(result);
    const markdown = await readFile(path.join(out, 'eval.md'), 'utf8');
    expect(markdown).toContain('| lrnet-ffpp | 4 |');
    expect(markdown).toMatch(/\| lrnet-ffpp \| 0\.500 \| \d \| \d \| \d \| \d \|/);
    expect(markdown).toContain(`| ${shortVideo} | REAL | MISSING_DETECTOR |`);
    const calibration = JSON.parse(await readFile(path.join(dir, 'calibration.json'), 'utf8')) as Calibration;
    expect(Object.keys(calibration.detectors)).toEqual(DETECTORS);
    expect(Object.keys(calibration.ensemble!.weights)).toEqual(DETECTORS);
  });

  it("keeps lrnet-ffpp's mean block scores when the faces are re-aggregated, decoding nothing", async () => {
    const run = await runCli(['eval', EVAL, '--labels', path.join(dir, 'labels.csv'), '--detectors', DETECTORS.join(','), '--reports', path.join(dir, 'reports'), '--aggregation', 'confident', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/reports: 5 reused, 0 scanned/);
    const again = JSON.parse(run.stdout) as EvaluationResult;
    expect(again.n).toBe(4);
    for (const video of again.videos) expect(video.scores['lrnet-ffpp']).toBe(reportOf.get(video.name)!.detectors['lrnet-ffpp']!.score);
  });

  it('scans again the videos whose reports lack a requested temporal detector', async () => {
    const labels = path.join(dir, 'dfo.csv');
    await writeFile(labels, 'path,label\nreal/lrnet_dfo_real.mp4,REAL\nfake/lrnet_dfo_fake.mp4,FAKE\n');
    const run = await runCli(['eval', EVAL, '--labels', labels, '--detectors', 'meso4-df,lrnet-dfo', '--reports', path.join(dir, 'reports'), '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/reports: 0 reused, 2 scanned/);
    const dfo = JSON.parse(run.stdout) as EvaluationResult;
    expect(Object.keys(dfo.detectors)).toEqual(['meso4-df', 'lrnet-dfo']);
    expect(dfo.videos.every((v) => typeof v.scores['lrnet-dfo'] === 'number')).toBe(true);
  }, 600_000);
});
