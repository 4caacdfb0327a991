/**
 * `deepsift scan` with a temporal detector selected: LRNet (`lrnet-ffpp`) scores the dense
 * clips of upstream LRNet's four demo videos beside MesoNet, and its scores and reasons
 * reach the reports (real ffmpeg, real ONNX models); a video with two faces gets one track
 * per face, and a video whose clips cannot be decoded keeps MesoNet's scores.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { reportSchemaErrors, type VideoReport } from '../aggregator';
import { runCli } from './cli-runner';
import { makeDamagedNonReferenceVideo, makeSideBySideVideo, makeTempDir, makeTestClip, sharedDir } from './video-fixtures';

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
    // The FF++ demo real (left) and fake (right) side by side, 12 s: two faces in every frame.
    const demo = (name: string): string => path.join(sharedDir(), 'eval', `${name}.mp4`);
    const twoFaces = await makeSideBySideVideo(demo('real/lrnet_ff_real'), demo('fake/lrnet_ff_fake'), path.join(dir, 'two-faces.mp4'), { width: 960, height: 540, seconds: 12 });
    // The DFO demo real with its B-frames damaged: its sparse sample decodes, its clips do not.
    const damaged = await makeDamagedNonReferenceVideo(demo('real/lrnet_dfo_real'), path.join(dir, 'damaged.mp4'));
    const result = await runCli(['scan', ...videos, faceless, twoFaces, damaged, '--detectors', 'meso4-df,lrnet-ffpp', '--out', path.join(dir, 'reports'), '--json', '--quiet']);
    expect(result.code).toBe(0);
    reports = new Map((JSON.parse(result.stdout) as VideoReport[]).map((r) => [path.basename(r.source.uri, '.mp4'), r]));
  }, 600_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const lrnetScore = (name: string): number => reports.get(path.basename(name))!.detectors['lrnet-ffpp']!.score!;

  it('gives every report in the schema, with lrnet-ffpp among the detectors and models', () => {
    expect(reports.size).toBe(7);
    for (const report of reports.values()) {
      expect(reportSchemaErrors(report)).toEqual([]);
      expect(report.status).toBe('done');
      expect(Object.keys(report.detectors).sort()).toEqual(['lrnet-ffpp', 'meso4-df']);
      expect(report.models.find((m) => m.name === 'lrnet-ffpp')?.kind).toBe('temporal-detector');
      expect(report.models.find((m) => m.name === 'faceapi-landmark68')?.kind).toBe('landmark-detector');
      expect(report.clips).toEqual({ clipCount: 4, clipFrames: 61, maxFaces: 4, minFaceSizePx: 40 });
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
      expect(lrnet.tracks).toHaveLength(1);
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

  it('scores each face of a two-face video as its own track, the fake side above the real side, and reports the highest', () => {
    const lrnet = reports.get('two-faces')!.detectors['lrnet-ffpp']!;
    expect(lrnet.tracks).toHaveLength(2);
    // Which track is which side: its face's box on the clips it was followed in (the frame is 1920 wide).
    const side = (trackId: number): 'left' | 'right' => {
      const boxes = lrnet.clips!.filter((clip) => clip.trackId === trackId).map((clip) => clip.box!);
      const sides = new Set(boxes.map((box) => ((box.x1 + box.x2) / 2 < 960 ? 'left' : 'right')));
      expect(sides.size).toBe(1);
      return [...sides][0]!;
    };
    const left = lrnet.tracks!.find((track) => side(track.trackId) === 'left');
    const right = lrnet.tracks!.find((track) => side(track.trackId) === 'right');
    for (const track of lrnet.tracks!) {
      const blocks = lrnet.clips!.filter((clip) => clip.trackId === track.trackId).flatMap((clip) => clip.blockScores);
      expect(track.blocks).toBe(blocks.length);
      expect(track.meanBlockScore).toBeCloseTo(blocks.reduce((a, b) => a + b, 0) / blocks.length, 10);
    }
    expect(right!.meanBlockScore).toBeGreaterThan(left!.meanBlockScore);
    expect(lrnet.score).toBe(Math.max(left!.meanBlockScore, right!.meanBlockScore));
  });

  it('keeps the MesoNet scores of a video whose clips cannot be decoded, and says why lrnet-ffpp has none', () => {
    const report = reports.get('damaged')!;
    const lrnet = report.detectors['lrnet-ffpp']!;
    expect(report.detectors['meso4-df']!.score).not.toBeNull();
    expect(report.detectors['meso4-df']!.facesScored).toBeGreaterThan(0);
    expect(report.score).toBe(report.detectors['meso4-df']!.score);
    expect(lrnet.score).toBeNull();
    expect(lrnet.label).toBe('UNKNOWN');
    expect(lrnet.reason).toMatch(/^DECODE_FAILED/);
  });
});

describe('deepsift scan --detectors lrnet-ffpp --landmark-model facemesh', () => {
  let dir: string;
  let reports: VideoReport[];

  beforeAll(async () => {
    dir = await makeTempDir();
    const videos = ['real/lrnet_ff_real', 'fake/lrnet_ff_fake'].map((name) => path.join(sharedDir(), 'eval', `${name}.mp4`));
    const result = await runCli(['scan', ...videos, '--detectors', 'lrnet-ffpp', '--landmark-model', 'facemesh', '--out', path.join(dir, 'reports'), '--json', '--quiet']);
    expect(result.code).toBe(0);
    reports = JSON.parse(result.stdout) as VideoReport[];
  }, 600_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("places the landmarks with MediaPipe FaceMesh, names it among the report's models, and still ranks the FF++ demo fake above its real", () => {
    const [real, fake] = reports;
    for (const report of reports) {
      expect(reportSchemaErrors(report)).toEqual([]);
      expect(report.models.find((m) => m.name === 'facemesh-landmark468')?.kind).toBe('landmark-detector');
      expect(report.models.some((m) => m.name === 'faceapi-landmark68')).toBe(false);
    }
    expect(fake!.detectors['lrnet-ffpp']!.score!).toBeGreaterThan(real!.detectors['lrnet-ffpp']!.score!);
  });
});
