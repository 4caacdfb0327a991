/**
 * `deepsift scan` when its own infrastructure fails mid-scan: it stops with exit 3 and a
 * message that says what broke, and never hangs; a hung ffmpeg is killed at its deadline.
 */
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashFile } from '../ingest';
import { runCli } from './cli-runner';
import { makeFaceVideo, makeTempDir, sharedDir } from './video-fixtures';
import type { VideoReport } from '../aggregator';

describe('deepsift scan when its infrastructure fails', () => {
  let dir: string;
  let video: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    video = await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00240.jpg'), path.join(dir, 'face.mp4'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('ends with exit 3 and the reason when a report cannot be written, instead of waiting for ever', async () => {
    const out = path.join(dir, 'out');
    // Where the report must go there is a folder of that name: no write can succeed (as root too).
    await mkdir(path.join(out, `${(await hashFile(video)).sha256}.json`), { recursive: true });
    const result = await runCli(['scan', video, '--out', out, '--quiet']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot (read|write) the report .*\.json/);
  });

  it('ends with exit 3 and names ffmpeg when it is not installed, though the models were already loading', async () => {
    const out = path.join(dir, 'no-ffmpeg');
    const result = await runCli(['scan', video, '--out', out, '--quiet', '--ffmpeg', path.join(dir, 'no-such-ffmpeg')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`${path.join(dir, 'no-such-ffmpeg')} was not found on PATH; install ffmpeg`);
    await expect(readdir(out)).resolves.toEqual([]);
  });

  it('ends with the usage exit when a model is unknown while it serves metrics, instead of waiting for ever', async () => {
    const result = await runCli(['scan', video, '--out', path.join(dir, 'metrics'), '--quiet', '--metrics-port', '0', '--detectors', 'no-such-detector']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot load the models: Unknown model "no-such-detector"');
  });

  it('kills an ffmpeg that hangs at the decode deadline and reports DEADLINE_EXCEEDED', async () => {
    const hung = path.join(dir, 'hung-ffmpeg');
    await writeFile(hung, '#!/bin/sh\n[ "$1" = -version ] && exec ffmpeg -version\nsleep 6011\n');
    await chmod(hung, 0o755);
    const result = await runCli(['scan', video, '--out', path.join(dir, 'hung'), '--json', '--quiet', '--decode-deadline', '800', '--ffmpeg', hung]);
    expect(result.code).toBe(0);
    const [report] = JSON.parse(result.stdout) as VideoReport[];
    expect(report).toMatchObject({ status: 'failed', error: { code: 'DEADLINE_EXCEEDED', stage: 'frame-extractor' } });
  });
});
