/**
 * `deepsift eval` and `scan --calibration` on bad input: each ends in a clear message and
 * exit status 2, and a video without a face is listed apart instead of being scored.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EvaluationResult } from '../evaluation';
import { runCli } from './cli-runner';
import { makeFaceVideo, makeTempDir, makeTestClip, sharedDir } from './video-fixtures';

const EVAL = path.join(sharedDir(), 'eval');

describe('deepsift eval on bad input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('rejects an empty folder', async () => {
    await mkdir(path.join(dir, 'empty'));
    const run = await runCli(['eval', path.join(dir, 'empty'), '--reports', path.join(dir, 'reports')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no video found under .*empty \(expected real\/ and fake\/ subfolders, or --labels FILE\) \[EMPTY_DATASET\]/);
  });

  it('rejects a labels file naming missing videos, naming them', async () => {
    const labels = path.join(dir, 'missing.csv');
    await writeFile(labels, 'path,label\nreal/lrnet_ff_real.mp4,REAL\nfake/not_there.mp4,FAKE\n');
    const run = await runCli(['eval', EVAL, '--labels', labels, '--reports', path.join(dir, 'reports')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('1 labelled video(s) not found');
    expect(run.stderr).toContain('fake/not_there.mp4 (missing.csv line 3)');
  });

  it('rejects a CSV with an unknown label, naming the line', async () => {
    const labels = path.join(dir, 'unknown.csv');
    await writeFile(labels, 'path,label\nreal/lrnet_ff_real.mp4,REAL\nfake/lrnet_ff_fake.mp4,DEEPFAKE\n');
    const run = await runCli(['eval', EVAL, '--labels', labels, '--reports', path.join(dir, 'reports')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown.csv line 3: "DEEPFAKE"');
    expect(run.stderr).toContain('[UNKNOWN_LABEL]');
  });

  it('rejects bad flags', async () => {
    const noCalibrate = await runCli(['eval', EVAL, '--target-fpr', '0.1']);
    expect(noCalibrate.code).toBe(2);
    expect(noCalibrate.stderr).toContain('--target-fpr needs --calibrate FILE');
    const badRate = await runCli(['eval', EVAL, '--calibrate', path.join(dir, 'c.json'), '--target-fpr', '2']);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toContain('invalid --target-fpr');
  });

  it('refuses a calibration file that is not one before scanning anything', async () => {
    const file = path.join(dir, 'not-a-calibration.json');
    await writeFile(file, JSON.stringify({ thresholds: { 'meso4-df': 0.3 } }));
    const run = await runCli(['scan', path.join(EVAL, 'real', 'lrnet_ff_real.mp4'), '--calibration', file, '--out', path.join(dir, 'scan')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not-a-calibration.json is not a deepsift calibration: .*must have required property 'kind'/);
    const missing = await runCli(['scan', EVAL, '--out', path.join(dir, 'scan')], { DEEPSIFT_CALIBRATION: path.join(dir, 'nowhere.json') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the calibration file');
  });

  it('lists a video without a face apart, and refuses to measure one class', async () => {
    const data = path.join(dir, 'faces');
    const faces = path.join(sharedDir(), 'faces');
    await makeFaceVideo(path.join(faces, 'real', 'real00240.jpg'), path.join(data, 'real', 'real00240.mp4'), { seconds: 1 });
    await makeFaceVideo(path.join(faces, 'df', 'df00204.jpg'), path.join(data, 'fake', 'df00204.mp4'), { seconds: 1 });
    await makeTestClip(path.join(data, 'fake', 'pattern.mp4'), { width: 320, height: 240, frames: 25, fps: 25 });
    const run = await runCli(['eval', data, '--reports', path.join(dir, 'faces-reports'), '--json', '--frames', '8']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as EvaluationResult;
    expect(result).toMatchObject({ labelled: 3, n: 2, nReal: 1, nFake: 1 });
    expect(result.excluded).toEqual([expect.objectContaining({ name: 'fake/pattern.mp4', label: 'FAKE', reason: 'NO_FACE' })]);
    expect(result.detectors['meso4-df']!.auc!.value).toBe(1);
    expect(run.stderr).toMatch(/left out \(1\):\n {2}fake\/pattern.mp4 \[FAKE\] NO_FACE/);

    await rm(path.join(data, 'fake', 'df00204.mp4'));
    const oneClass = await runCli(['eval', data, '--reports', path.join(dir, 'faces-reports'), '--frames', '8']);
    expect(oneClass.code).toBe(2);
    expect(oneClass.stderr).toContain('only REAL videos could be scored (1 of 2 left out)');
    expect(oneClass.stderr).toContain('[ONE_CLASS]');
  }, 300_000);
});
