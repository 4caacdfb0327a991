/**
 * What `deepsift scan` makes of folders: a folder without videos is a usage error (exit 2).
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from './cli-runner';
import { makeTempDir } from './video-fixtures';

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
