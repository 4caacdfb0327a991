/**
 * `deepsift eval` end to end on the eleven labelled public videos of ../shared/eval:
 * scanned once, measured, charted and calibrated; the calibration is then applied by
 * `deepsift scan`, and a second eval reuses the reports without decoding again.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { VideoReport } from '../aggregator';
import type { EvaluationResult } from '../evaluation';
import { runCli } from './cli-runner';
import { makeTempDir, sharedDir } from './video-fixtures';

const EVAL = path.join(sharedDir(), 'eval');
const DETECTORS = ['meso4-df', 'mesoinception-df'];

/** AUC straight from its definition: the share of (fake, real) pairs in order, ties counting ½. */
function pairwiseAuc(fakes: number[], reals: number[]): number {
  let sum = 0;
  for (const f of fakes) for (const r of reals) sum += f > r ? 1 : f === r ? 0.5 : 0;
  return sum / (fakes.length * reals.length);
}

describe('deepsift eval on ../shared/eval', () => {
  let dir: string;
  let result: EvaluationResult;
  let stderr: string;
  const reportOf = new Map<string, VideoReport>();

  beforeAll(async () => {
    dir = await makeTempDir();
    const run = await runCli([
      'eval', EVAL, '--labels', path.join(EVAL, 'labels.csv'),
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

  it('scores every labelled video, per detector, per subset and for the ensemble', () => {
    expect(result).toMatchObject({ labelled: 11, n: 11, nReal: 5, nFake: 6, excluded: [] });
    expect(Object.keys(result.detectors)).toEqual(DETECTORS);
    expect(Object.keys(result.subsets)).toEqual(['deeperforensics', 'ffpp', 'uadfv']);
    expect(result.subsets.uadfv!.n).toBe(6);
    for (const metrics of [...Object.values(result.detectors), result.ensemble]) {
      const [lo, hi] = metrics.auc!.ci95!;
      expect(lo).toBeLessThanOrEqual(metrics.auc!.value);
      expect(hi).toBeGreaterThanOrEqual(metrics.auc!.value);
      expect(metrics.confusion.tp + metrics.confusion.fn).toBe(6);
      expect(metrics.confusion.tn + metrics.confusion.fp).toBe(5);
    }
    expect(result.correlation.pearson['meso4-df']!['meso4-df']).toBeCloseTo(1, 12);
    expect(stderr).toMatch(/ensemble \(mean\)/);
    expect(stderr).toMatch(/reports: 0 reused, 11 scanned/);
  });

  it("gives the AUC computed from the reports it wrote", () => {
    const labelOf = (name: string) => result.videos.find((v) => v.name === name)!.label;
    const names = [...reportOf.keys()];
    const split = (score: (r: VideoReport) => number) => ({
      fakes: names.filter((n) => labelOf(n) === 'FAKE').map((n) => score(reportOf.get(n)!)),
      reals: names.filter((n) => labelOf(n) === 'REAL').map((n) => score(reportOf.get(n)!)),
    });
    for (const detector of DETECTORS) {
      const { fakes, reals } = split((r) => r.detectors[detector]!.score!);
      expect(result.detectors[detector]!.auc!.value).toBeCloseTo(pairwiseAuc(fakes, reals), 12);
    }
    const { fakes, reals } = split((r) => r.score!);
    expect(result.ensemble.auc!.value).toBeCloseTo(pairwiseAuc(fakes, reals), 12);
    const correct = names.filter((n) => reportOf.get(n)!.label === labelOf(n)).length;
    expect(result.ensemble.accuracy.value).toBeCloseTo(correct / 11, 12);
  });

  it('writes eval.json, eval.md and charts that decode as images', async () => {
    const out = path.join(dir, 'out');
    expect(JSON.parse(await readFile(path.join(out, 'eval.json'), 'utf8'))).toEqual(result);
    const markdown = await readFile(path.join(out, 'eval.md'), 'utf8');
    expect(markdown).toContain('| meso4-df | 11 |');
    for (const chart of ['roc', 'score-distributions', 'correlation', 'subset-metrics']) {
      expect(markdown).toContain(`![${chart}.png](${chart}.png)`);
      const png = await sharp(path.join(out, `${chart}.png`)).raw().toBuffer({ resolveWithObject: true });
      expect(png.info.width).toBeGreaterThan(300);
      expect(png.info.height).toBeGreaterThan(200);
      // Not a blank canvas: the chart drew in more than one colour.
      expect(new Set(Array.from({ length: 500 }, (_, i) => png.data[Math.floor((i / 500) * png.data.length)])).size).toBeGreaterThan(2);
      const svg = await sharp(path.join(out, `${chart}.svg`)).metadata();
      expect(svg.format).toBe('svg');
    }
  });

  it('re-measures from the reports alone with another aggregation, decoding nothing', async () => {
    const run = await runCli(['eval', EVAL, '--reports', path.join(dir, 'reports'), '--aggregation', 'confident', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/reports: 11 reused, 0 scanned/);
    const again = JSON.parse(run.stdout) as EvaluationResult;
    expect(again.aggregation).toBe('confident');
    expect(again.n).toBe(11);
    expect(again.subsets).toEqual({}); // folders real/ and fake/ at the top: no subset level
  });

  it('writes a calibration that scan applies: raw scores kept, verdicts changed as fitted, sha256 recorded', async () => {
    const file = path.join(dir, 'calibration.json');
    const sha256 = createHash('sha256').update(await readFile(file)).digest('hex');
    expect(result.calibration).toMatchObject({ file, sha256, thresholdMethod: 'youden' });
    expect(stderr).toMatch(/stacker cross-validated AUC/);

    const run = await runCli(['scan', EVAL, '--calibration', file, '--out', path.join(dir, 'calibrated'), '--json', '--quiet']);
    expect(run.code).toBe(0);
    const calibrated = JSON.parse(run.stdout) as VideoReport[];
    expect(calibrated).toHaveLength(11);
    let changed = 0;
    const correct = { ensemble: 0, 'meso4-df': 0, 'mesoinception-df': 0 } as Record<string, number>;
    for (const report of calibrated) {
      const name = path.relative(EVAL, report.source.uri).split(path.sep).join('/');
      const plain = reportOf.get(name)!;
      const truth = result.videos.find((v) => v.name === name)!.label;
      expect(report.calibration).toEqual({ source: file, sha256, applied: [...DETECTORS, 'ensemble'] });
      expect(report.rawScore).toBeCloseTo(plain.score!, 6);
      for (const detector of DETECTORS) {
        expect(report.detectors[detector]!.rawScore).toBeCloseTo(plain.detectors[detector]!.score!, 6);
        if (report.detectors[detector]!.label === truth) correct[detector]! += 1;
      }
      if (report.label !== plain.label) changed += 1;
      if (report.label === truth) correct.ensemble! += 1;
    }
    expect(changed).toBeGreaterThan(0);
    // The verdicts scan now gives are those eval measured for the calibration on these videos.
    const fitted = result.calibration!.metrics;
    expect(correct.ensemble! / 11).toBeCloseTo(fitted.ensemble.accuracy.value, 12);
    for (const detector of DETECTORS) expect(correct[detector]! / 11).toBeCloseTo(fitted.detectors[detector]!.accuracy.value, 12);
    expect(fitted.ensemble.accuracy.value).toBeGreaterThan(result.ensemble.accuracy.value);
  }, 600_000);
});
