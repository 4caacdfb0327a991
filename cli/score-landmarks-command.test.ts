/**
 * `deepsift score-landmarks` on upstream LRNet's own landmarks of its four demo videos:
 * the block scores must be those of the plain forward pass of the checkpoints, and the
 * fakes must rank above the reals.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { landmarkBlocks, parseLandmarkText } from '../detector-workers';
import { readLrnetWeights, referenceBlockScores } from '../weights/converters/lrnet';
import { runCli } from '../test/cli-runner';
import { makeTempDir, makeTestClip, sharedDir } from '../test/video-fixtures';

const LANDMARKS = path.join(sharedDir(), 'lrnet-landmarks');
const VIDEOS = ['lrnet_ff_real', 'lrnet_ff_fake', 'lrnet_dfo_real', 'lrnet_dfo_fake'];
const FILES = VIDEOS.map((video) => path.join(LANDMARKS, `${video}.txt`));

interface Line {
  file: string;
  detector: string;
  blockScores: number[];
  videoScore: number | null;
  meanBlockScore: number | null;
}

describe('deepsift score-landmarks', () => {
  it.each(['lrnet-dfo', 'lrnet-ffpp'])('scores upstream landmarks as the checkpoints do and ranks the fakes above the reals with %s', async (detector) => {
    const result = await runCli(['score-landmarks', '--detector', detector, '--json', ...FILES]);
    expect(result.code).toBe(0);
    const lines = JSON.parse(result.stdout) as Line[];
    expect(lines.map((line) => line.file)).toEqual(FILES);
    expect(lines.map((line) => line.blockScores.length)).toEqual([25, 25, 12, 12]);

    const weightSet = detector.replace('lrnet-', '');
    const checkpoint = async (stream: string): Promise<Uint8Array> =>
      new Uint8Array(await readFile(path.join(sharedDir(), 'weights', 'lrnet', weightSet, `${stream}.pth`)));
    const weights = readLrnetWeights(await checkpoint('g1'), await checkpoint('g2'));
    for (const line of lines) {
      const blocks = landmarkBlocks(parseLandmarkText(await readFile(line.file, 'utf8'), line.file));
      const reference = blocks.map((block) => referenceBlockScores(weights, block, 30).score);
      line.blockScores.forEach((score, index) => expect(Math.abs(score - reference[index]!)).toBeLessThan(5e-5));
      const mean = line.blockScores.reduce((sum, score) => sum + score, 0) / line.blockScores.length;
      expect(line.meanBlockScore).toBeCloseTo(mean, 10);
      expect(line.videoScore).toBe(line.blockScores.filter((score) => score >= 0.5).length / line.blockScores.length);
    }
    const mean = (video: string): number => lines[VIDEOS.indexOf(video)]!.meanBlockScore!;
    expect(Math.min(mean('lrnet_ff_fake'), mean('lrnet_dfo_fake'))).toBeGreaterThan(Math.max(mean('lrnet_ff_real'), mean('lrnet_dfo_real')));
  });

  it('extracts and calibrates the landmarks of a video, writes them in upstream\'s format, and scores the real video as upstream\'s landmarks do', async () => {
    const dir = await makeTempDir();
    try {
      const video = path.join(sharedDir(), 'eval', 'real', 'lrnet_dfo_real.mp4');
      const result = await runCli(['score-landmarks', '--detector', 'lrnet-dfo', '--json', '--landmarks-out', dir, video]);
      expect(result.code).toBe(0);
      const [line] = JSON.parse(result.stdout) as Line[];
      expect(line!.file).toBe(video);
      expect(line!.blockScores).toHaveLength(12);
      // Upstream's landmarks of this video score 0.200 with lrnet-dfo (see the first test).
      expect(line!.meanBlockScore!).toBeLessThan(0.35);
      const written = parseLandmarkText(await readFile(path.join(dir, 'lrnet_dfo_real.txt'), 'utf8'), 'written');
      const upstream = parseLandmarkText(await readFile(FILES[2]!, 'utf8'), 'upstream');
      expect(written.frames).toBe(upstream.frames);
      let error = 0;
      for (let p = 0; p < written.values.length / 2; p += 1) {
        error += Math.hypot(written.values[2 * p]! - upstream.values[2 * p]!, written.values[2 * p + 1]! - upstream.values[2 * p + 1]!);
      }
      // Another landmark model places the points differently (measured 0.054, about 11 px of the 400-px face), never wildly.
      expect(error / (written.values.length / 2)).toBeLessThan(0.08);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('with --clips scores a video from its dense clips only, and says why a video without a face gets no score', async () => {
    const dir = await makeTempDir();
    try {
      const video = path.join(sharedDir(), 'eval', 'real', 'lrnet_dfo_real.mp4');
      const pattern = await makeTestClip(path.join(dir, 'pattern.mp4'), { width: 320, height: 240, frames: 100, fps: 25 });
      const result = await runCli(['score-landmarks', '--detector', 'lrnet-dfo', '--json', '--clips', '4x61', '--landmarks-out', dir, video, pattern]);
      expect(result.code).toBe(0);
      const [real, faceless] = JSON.parse(result.stdout) as Line[];
      // Four clips of 61 frames, two blocks each; the real video stays real (0.19 measured).
      expect(real!.blockScores).toHaveLength(8);
      expect(real!.meanBlockScore!).toBeLessThan(0.35);
      expect(parseLandmarkText(await readFile(path.join(dir, 'lrnet_dfo_real-clip3.txt'), 'utf8'), 'clip').frames).toBe(61);
      expect(faceless!.meanBlockScore).toBeNull();
      expect(result.stderr).toMatch(/pattern\.mp4: no clip with a face \(NO_FACE\); not scored/);
      const bad = await runCli(['score-landmarks', '--detector', 'lrnet-dfo', '--clips', 'four', video]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--clips: expected COUNTxFRAMES/);
      const unknownNet = await runCli(['score-landmarks', '--detector', 'lrnet-dfo', '--landmark-model', 'dlib', video]);
      expect(unknownNet.code).toBe(2);
      expect(unknownNet.stderr).toMatch(/--landmark-model: expected one of faceapi, facemesh/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('prints one line per file for people', async () => {
    const result = await runCli(['score-landmarks', '--detector', 'lrnet-dfo', FILES[1]!]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^mean 0\.\d{4} {2}fake blocks \d\.\d\d \(\d+\/25\) {2}.*lrnet_ff_fake\.txt\n$/);
  });

  it('fails clearly on an unknown detector, a crop detector and a malformed file; warns on a file too short for a block', async () => {
    const dir = await makeTempDir();
    try {
      await checkBadInputs(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function checkBadInputs(dir: string): Promise<void> {
  const lines = (await readFile(FILES[0]!, 'utf8')).trim().split('\n');
  const malformed = path.join(dir, 'malformed.txt');
  await writeFile(malformed, [...lines.slice(0, 3), lines[3]!.split(' ').slice(0, 100).join(' ')].join('\n'));
  const short = path.join(dir, 'short.txt');
  await writeFile(short, lines.slice(0, 30).join('\n'));

  const unknown = await runCli(['score-landmarks', '--detector', 'lrnet-nope', FILES[0]!]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/lrnet-nope/);
  const cropDetector = await runCli(['score-landmarks', '--detector', 'meso4-df', FILES[0]!]);
  expect(cropDetector.code).toBe(2);
  expect(cropDetector.stderr).toMatch(/"meso4-df" is not a temporal detector/);
  const bad = await runCli(['score-landmarks', '--detector', 'lrnet-dfo', FILES[0]!, malformed]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/malformed\.txt: line 4 has 100 values, expected 136/);
  const tooShort = await runCli(['score-landmarks', '--detector', 'lrnet-dfo', '--json', short]);
  expect(tooShort.code).toBe(0);
  expect(JSON.parse(tooShort.stdout)).toEqual([{ file: short, detector: 'lrnet-dfo', blockScores: [], videoScore: null, meanBlockScore: null }]);
  expect(tooShort.stderr).toMatch(/short\.txt: 30 frames, fewer than the 31 one block needs/);
}
