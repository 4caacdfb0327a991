/**
 * Bad inputs in one scan: each gets a report with a clear error code (or UNKNOWN for a
 * video without faces), the good video beside them is still analysed, and the scan
 * exits 0. Duplicated bytes under two names give one report.
 */
import { copyFile, readdir, rm, truncate, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { reportSchemaErrors, type VideoReport } from '../aggregator';
import { runCli } from './cli-runner';
import { makeFaceVideo, makeTempDir, makeTestClip, runFfmpeg, sharedDir } from './video-fixtures';

describe('deepsift scan with bad inputs', () => {
  let dir: string;
  let code: number | null;
  let byName: Map<string, VideoReport>;
  let out: string;
  let inputs: Record<string, string>;

  beforeAll(async () => {
    dir = await makeTempDir();
    out = path.join(dir, 'reports');
    const p = (name: string) => path.join(dir, name);
    inputs = {
      good: await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00240.jpg'), p('good.mp4')),
      empty: p('empty.mp4'),
      text: p('notes.mp4'),
      truncated: p('truncated.mp4'),
      audio: p('speech.m4a'),
      image: p('photo.jpg'),
      noFaces: p('no-faces.mp4'),
      missing: p('does-not-exist.mp4'),
      duplicate: p('good-copy.mp4'),
    };
    await writeFile(inputs.empty!, '');
    await writeFile(inputs.text!, 'This is not a video, only text with a video name.\n'.repeat(20));
    await makeTestClip(p('whole.mp4'), { width: 320, height: 240, frames: 50, fps: 25 });
    await copyFile(p('whole.mp4'), inputs.truncated!);
    await truncate(inputs.truncated!, Math.floor((await stat(p('whole.mp4'))).size * 0.3));
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'aac', inputs.audio!]);
    await copyFile(path.join(sharedDir(), 'faces', 'real', 'real00772.jpg'), inputs.image!);
    await runFfmpeg(['-f', 'lavfi', '-i', 'color=c=0x336699:s=320x240:r=25:d=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', inputs.noFaces!]);
    await copyFile(inputs.good!, inputs.duplicate!);

    const names = Object.values(inputs);
    const result = await runCli(['scan', ...names, '--out', out, '--json']);
    code = result.code;
    const reports = JSON.parse(result.stdout) as VideoReport[];
    expect(reports).toHaveLength(names.length);
    byName = new Map(Object.keys(inputs).map((key, i) => [key, reports[i]!]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exits 0: every input got a report', () => {
    expect(code).toBe(0);
    for (const report of byName.values()) expect(reportSchemaErrors(report)).toEqual([]);
  });

  it('still analyses the good video', () => {
    expect(byName.get('good')).toMatchObject({ status: 'done', label: 'REAL' });
  });

  it.each([
    ['empty', 'EMPTY_FILE'],
    ['text', 'NOT_A_VIDEO'],
    ['truncated', 'CORRUPT_VIDEO'],
    ['audio', 'NO_VIDEO_STREAM'],
    ['image', 'STILL_IMAGE'],
    ['missing', 'FILE_NOT_FOUND'],
  ])('fails the %s input with %s and a message', (name, errorCode) => {
    const report = byName.get(name)!;
    expect(report.status).toBe('failed');
    expect(report.error?.code).toBe(errorCode);
    expect(report.error?.message.length).toBeGreaterThan(10);
    expect(report.label).toBeNull();
    expect(report.score).toBeNull();
  });

  it('labels a video without faces UNKNOWN and counts its frames', () => {
    const report = byName.get('noFaces')!;
    expect(report.status).toBe('done');
    expect(report.label).toBe('UNKNOWN');
    expect(report.score).toBeNull();
    expect(report.frames.sampled).toBe(32);
    expect(report.frames.withoutFaces).toBe(32);
    expect(report.detectors['meso4-df']).toMatchObject({ score: null, label: 'UNKNOWN', facesScored: 0 });
  });

  it('analyses duplicated bytes once: one report file for both names', async () => {
    expect(byName.get('duplicate')!.videoId).toBe(byName.get('good')!.videoId);
    const files = await readdir(out);
    const distinct = new Set([...byName.values()].map((r) => r.videoId));
    expect(files.sort()).toEqual([...distinct].map((id) => `${id}.json`).sort());
    expect(files).toHaveLength(Object.keys(inputs).length - 1);
  });
});

describe('deepsift usage errors', () => {
  it('exits 2 without inputs, on a bad option value and on an unknown detector', async () => {
    expect((await runCli(['scan'])).code).toBe(2);
    const badValue = await runCli(['scan', 'x.mp4', '--frames', 'many']);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('invalid --frames');
    const unknown = await runCli(['scan', 'x.mp4', '--detectors', 'meso4-df,nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/nope/);
  });

  it('exits 3 when the weights cannot be had', async () => {
    const dir = await makeTempDir();
    try {
      const result = await runCli(['scan', 'x.mp4'], {
        DEEPSIFT_WEIGHTS_MIRROR: path.join(dir, 'empty-mirror'),
        DEEPSIFT_CACHE_DIR: path.join(dir, 'cache'),
        DEEPSIFT_WEIGHTS_BASE_URL: 'http://127.0.0.1:9',
      });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/cannot load the models/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
