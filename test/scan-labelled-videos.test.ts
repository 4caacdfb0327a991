/**
 * Labelled videos built from the MesoNet test crops: the DF detectors must call the
 * deepfake-made videos FAKE and the real-made ones REAL, and `score-faces` must agree
 * on the crops themselves.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { VideoReport } from '../aggregator';
import { runCli } from './cli-runner';
import { makeFaceVideo, makeTempDir, sharedDir } from './video-fixtures';

const FACES = path.join(sharedDir(), 'faces');
const CROPS = {
  fake: ['df/df00204.jpg', 'df/df01254.jpg'],
  real: ['real/real00240.jpg', 'real/real00772.jpg'],
};

describe('labelled videos made from face crops', () => {
  let dir: string;
  let reports: Map<string, VideoReport>;

  beforeAll(async () => {
    dir = await makeTempDir();
    const videos = path.join(dir, 'videos');
    for (const crop of [...CROPS.fake, ...CROPS.real]) {
      const name = path.basename(crop, '.jpg');
      await makeFaceVideo(path.join(FACES, crop), path.join(videos, `${name}.mp4`));
    }
    const result = await runCli(['scan', videos, '--out', path.join(dir, 'reports'), '--json', '--quiet']);
    expect(result.code).toBe(0);
    reports = new Map((JSON.parse(result.stdout) as VideoReport[]).map((r) => [path.basename(r.source.uri, '.mp4'), r]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(CROPS.fake.map((c) => path.basename(c, '.jpg')))('labels the deepfake-made %s FAKE with both DF detectors', (name) => {
    const report = reports.get(name)!;
    expect(report.label).toBe('FAKE');
    expect(report.detectors['meso4-df']!.label).toBe('FAKE');
    expect(report.detectors['mesoinception-df']!.label).toBe('FAKE');
    expect(report.frames.withFaces).toBe(report.frames.sampled);
  });

  it.each(CROPS.real.map((c) => path.basename(c, '.jpg')))('labels the real-made %s REAL with both DF detectors', (name) => {
    const report = reports.get(name)!;
    expect(report.label).toBe('REAL');
    expect(report.detectors['meso4-df']!.label).toBe('REAL');
    expect(report.detectors['mesoinception-df']!.label).toBe('REAL');
  });
});

describe('deepsift score-faces', () => {
  it.each(['meso4-df', 'mesoinception-df'])('puts the df crops above 0.5 and the real crops below with %s', async (detector) => {
    const files = [...CROPS.fake, ...CROPS.real].map((c) => path.join(FACES, c));
    const result = await runCli(['score-faces', '--detector', detector, '--json', ...files]);
    expect(result.code).toBe(0);
    const lines = JSON.parse(result.stdout) as Array<{ file: string; detector: string; score: number }>;
    expect(lines.map((l) => l.file)).toEqual(files);
    for (const line of lines) {
      expect(line.detector).toBe(detector);
      if (line.file.includes(`${path.sep}df${path.sep}`)) expect(line.score).toBeGreaterThan(0.5);
      else expect(line.score).toBeLessThan(0.5);
    }
  });

  it('fails clearly on an unknown detector and on an unreadable image', async () => {
    const unknown = await runCli(['score-faces', '--detector', 'no-such-model', path.join(FACES, CROPS.real[0]!)]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no-such-model/);
    const missing = await runCli(['score-faces', '--detector', 'meso4-df', '/nonexistent/face.jpg']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read image \/nonexistent\/face.jpg/);
  });
});
