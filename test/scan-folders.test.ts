/**
 * What `deepsift scan` makes of folders: a folder without videos is a usage error (exit 2);
 * a locked subfolder, a broken link and a named pipe with a video name are listed as
 * skipped while every real video still gets its report; a named pipe named explicitly
 * gets a failed report. Nothing blocks on the pipes: they are never opened.
 */
import { spawn, execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { reportSchemaErrors, type VideoReport } from '../aggregator';
import { DEFAULT_DETECTORS, DEFAULT_FACE_DETECTOR } from '../common/config';
import { cliEnv, REPO_ROOT, runCli, type CliResult } from './cli-runner';
import { makeFaceVideo, makeTempDir, sharedDir } from './video-fixtures';

/** uid/gid of `nobody`: root reads a chmod-000 folder, so as root the scan runs as nobody. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** Runs `deepsift ...args` (as nobody when the tests run as root); kills it after `limitMs` so a hang fails the test. */
function runCliAs(args: string[], limitMs: number, extraEnv: Record<string, string> = {}): Promise<CliResult & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'deepsift.js'), ...args], {
      env: cliEnv(extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

describe('deepsift scan of folders without videos', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exits 2 with a clear message for an empty folder', async () => {
    await mkdir(path.join(dir, 'empty'));
    const result = await runCli(['scan', path.join(dir, 'empty'), '--out', path.join(dir, 'reports')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no videos to scan in ${path.join(dir, 'empty')}`);
    expect(result.stderr).toContain('.mp4');
  });

  it('exits 2 for folders that hold only other files, and writes no report', async () => {
    await mkdir(path.join(dir, 'docs', 'more'), { recursive: true });
    await writeFile(path.join(dir, 'docs', 'notes.txt'), 'not a video');
    await writeFile(path.join(dir, 'docs', 'more', 'slides.pdf'), 'not a video');
    const result = await runCli(['scan', path.join(dir, 'docs'), path.join(dir, 'docs', 'more'), '--out', path.join(dir, 'reports')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no videos to scan in .*docs, .*more/);
    await expect(readdir(path.join(dir, 'reports'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('deepsift scan of a folder with entries it cannot read', () => {
  let dir: string;
  let result: CliResult & { timedOut: boolean };
  let reports: VideoReport[];
  const inFolder = (...parts: string[]) => path.join(dir, 'in', ...parts);

  beforeAll(async () => {
    dir = await makeTempDir();
    await chmod(dir, 0o755);
    await mkdir(inFolder('locked'), { recursive: true });
    await mkdir(inFolder('open'));
    const out = path.join(dir, 'reports');
    await mkdir(out, { mode: 0o777 });
    await chmod(out, 0o777);
    await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00240.jpg'), inFolder('good.mp4'));
    await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00772.jpg'), inFolder('open', 'also-good.mp4'));
    await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00772.jpg'), inFolder('locked', 'hidden.mp4'), { seconds: 1 });
    await chmod(inFolder('locked'), 0o000);
    execFileSync('mkfifo', [inFolder('x.mp4')]);
    execFileSync('mkfifo', [path.join(dir, 'named.mp4')]);
    // A link to itself cannot be followed, by root either.
    await symlink('loop.mp4', inFolder('loop.mp4'));

    // Fetched first by this user into a cache of this test's own that everyone may read (the
    // run's cache may sit in a private temporary folder): as nobody the scan reads it, not fills it.
    const cache = path.join(dir, 'cache');
    expect((await runCli(['weights', 'fetch', ...DEFAULT_DETECTORS, DEFAULT_FACE_DETECTOR], { DEEPSIFT_CACHE_DIR: cache })).code).toBe(0);
    execFileSync('chmod', ['-R', 'a+rX', cache]);
    result = await runCliAs(['scan', inFolder(), path.join(dir, 'named.mp4'), '--out', out, '--json'], 100_000, { DEEPSIFT_CACHE_DIR: cache });
    reports = result.code === 0 ? (JSON.parse(result.stdout) as VideoReport[]) : [];
  });
  afterAll(async () => {
    await chmod(inFolder('locked'), 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('finishes (nothing blocks on the pipes) and exits 0', () => {
    expect(result.timedOut).toBe(false);
    expect(result.stderr).not.toMatch(/internal error/i);
    expect(result.code).toBe(0);
  });

  it('still analyses every real video', () => {
    expect(reports).toHaveLength(3);
    for (const report of reports) expect(reportSchemaErrors(report)).toEqual([]);
    expect(reports[0]).toMatchObject({ status: 'done', label: 'REAL', source: { uri: inFolder('good.mp4') } });
    expect(reports[1]).toMatchObject({ status: 'done', label: 'REAL', source: { uri: inFolder('open', 'also-good.mp4') } });
  });

  it('gives the named pipe named explicitly a failed report that says what it is', () => {
    const report = reports[2]!;
    expect(report.source.uri).toBe(path.join(dir, 'named.mp4'));
    expect(report.status).toBe('failed');
    expect(report.error?.code).toBe('FILE_UNREADABLE');
    expect(report.error?.message).toContain('named pipe');
  });

  it('lists the locked folder, the pipe and the broken link as skipped, in the summary and in the logs', () => {
    const summary = result.stderr.slice(result.stderr.indexOf('skipped 3 entries:'));
    expect(summary).toContain(`${inFolder('locked')}: folder cannot be read (EACCES)`);
    expect(summary).toContain(`${inFolder('loop.mp4')}: link cannot be followed (ELOOP)`);
    expect(summary).toContain(`${inFolder('x.mp4')}: not a regular file (named pipe)`);
    const logged = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message: string; uri?: string })
      .filter((entry) => entry.message === 'Entry skipped.')
      .map((entry) => entry.uri);
    expect(logged.sort()).toEqual([inFolder('locked'), inFolder('loop.mp4'), inFolder('x.mp4')].sort());
  });
});
