/**
 * `deepsift scan` on the 1080p sample interview: the report a user gets.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { reportSchemaErrors, type VideoReport } from '../aggregator';
import { hashFile } from '../ingest';
import { runCli } from './cli-runner';
import { makeTempDir, sharedDir } from './video-fixtures';

const SAMPLE = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');

describe('deepsift scan on the sample interview', () => {
  let out: string;
  let reports: VideoReport[];
  let stderr: string;
  let code: number | null;

  beforeAll(async () => {
    out = await makeTempDir();
    const result = await runCli(['scan', SAMPLE, '--out', out, '--json']);
    ({ code, stderr } = result);
    reports = JSON.parse(result.stdout) as VideoReport[];
  });
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('exits 0 with one report on stdout and the summary table on stderr', () => {
    expect(code).toBe(0);
    expect(reports).toHaveLength(1);
    expect(stderr).toContain('interview_1080p.mp4');
    expect(stderr).toMatch(/verdict/);
  });

  it('keys the report by the video content hash and writes it to --out', async () => {
    const { sha256 } = await hashFile(SAMPLE);
    const report = reports[0]!;
    expect(report.videoId).toBe(sha256);
    const onDisk = JSON.parse(await readFile(path.join(out, `${sha256}.json`), 'utf8')) as VideoReport;
    expect(onDisk).toEqual(report);
    expect(reportSchemaErrors(onDisk)).toEqual([]);
  });

  it('finds the speaker in at least 28 of 32 frames, as one main track', () => {
    const report = reports[0]!;
    expect(report.status).toBe('done');
    expect(report.frames.requested).toBe(32);
    expect(report.frames.sampled).toBe(32);
    expect(report.frames.withFaces).toBeGreaterThanOrEqual(28);
    const mainTracks = report.faces.filter((t) => t.frames.length >= 16);
    expect(mainTracks).toHaveLength(1);
    const box = mainTracks[0]!.frames[0]!.box;
    expect(box.x1).toBeGreaterThanOrEqual(0);
    expect(box.x2).toBeLessThanOrEqual(1920);
    expect(box.y2).toBeLessThanOrEqual(1080);
  });

  it('scores every face with both default detectors, every score in [0, 1]', () => {
    const report = reports[0]!;
    expect(Object.keys(report.detectors).sort()).toEqual(['meso4-df', 'mesoinception-df']);
    const scores = [report.score, ...Object.values(report.detectors).map((d) => d.score)];
    for (const track of report.faces) {
      for (const frame of track.frames) scores.push(...Object.values(frame.scores));
    }
    expect(scores.length).toBeGreaterThan(60);
    for (const s of scores) {
      expect(typeof s).toBe('number');
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    expect(['FAKE', 'REAL']).toContain(report.label);
  });

  it('describes the video and the models that ran', () => {
    const report = reports[0]!;
    expect(report.video).toMatchObject({ width: 1920, height: 1080, codec: 'h264', frameCount: 300 });
    expect(report.video!.fps).toBeCloseTo(29.97, 2);
    expect(report.models.map((m) => m.name).sort()).toEqual(['mesoinception-df', 'meso4-df', 'ultraface-rfb-640'].sort());
    for (const model of report.models) expect(model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.timings['frame-extractor']).toBeGreaterThan(0);
    expect(report.timings['face-cropper']).toBeGreaterThan(0);
    expect(report.timings.totalMs).toBeGreaterThan(0);
  });
});
