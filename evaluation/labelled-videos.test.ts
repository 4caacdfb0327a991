import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EvaluationError } from './evaluation-error';
import { loadLabelledDataset } from './labelled-videos';

describe('labelled datasets', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepsift-labels-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function touch(...names: string[]): Promise<void> {
    for (const name of names) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), name); // distinct bytes per file
    }
  }

  async function failure(promise: Promise<unknown>): Promise<EvaluationError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(EvaluationError);
      return error as EvaluationError;
    }
    throw new Error('expected an EvaluationError');
  }

  it('labels videos by their real/ or fake/ folder, at any depth, with the folder above as subset', async () => {
    await touch('dfdc/real/a.mp4', 'dfdc/fake/part1/b.mp4', 'uadfv/FAKE/c.mov', 'real/d.mp4', 'real/notes.txt');
    const { videos } = await loadLabelledDataset(dir);
    expect(videos.map((v) => [v.name, v.label, v.subset])).toEqual([
      ['dfdc/fake/part1/b.mp4', 'FAKE', 'dfdc'],
      ['dfdc/real/a.mp4', 'REAL', 'dfdc'],
      ['real/d.mp4', 'REAL', undefined],
      ['uadfv/FAKE/c.mov', 'FAKE', 'uadfv'],
    ]);
    expect(videos[0]!.path).toBe(path.join(dir, 'dfdc/fake/part1/b.mp4'));
  });

  it('reads a CSV with a header and subsets, labels REAL/FAKE or 0/1, and names the videos it does not list', async () => {
    await touch('x/one.mp4', 'two.mp4', 'three.mp4');
    await writeFile(path.join(dir, 'labels.csv'), 'path,label,subset\nx/one.mp4,fake,ffpp\n"two.mp4",0,uadfv\n');
    const { videos, unlisted } = await loadLabelledDataset(dir, path.join(dir, 'labels.csv'));
    expect(videos.map((v) => [v.name, v.label, v.subset])).toEqual([
      ['x/one.mp4', 'FAKE', 'ffpp'],
      ['two.mp4', 'REAL', 'uadfv'],
    ]);
    expect(unlisted).toEqual(['three.mp4']);
  });

  it('reads a DFDC metadata.json', async () => {
    await touch('aaa.mp4', 'bbb.mp4');
    await writeFile(path.join(dir, 'metadata.json'), JSON.stringify({ 'aaa.mp4': { label: 'FAKE', split: 'train', original: 'bbb.mp4' }, 'bbb.mp4': { label: 'REAL', split: 'train' } }));
    const { videos } = await loadLabelledDataset(dir, path.join(dir, 'metadata.json'));
    expect(videos.map((v) => [v.name, v.label])).toEqual([
      ['aaa.mp4', 'FAKE'],
      ['bbb.mp4', 'REAL'],
    ]);
  });

  it('rejects an empty folder', async () => {
    const error = await failure(loadLabelledDataset(dir));
    expect(error.code).toBe('EMPTY_DATASET');
    expect(error.message).toMatch(/no video found under .*real\/ and fake\//);
  });

  it('rejects videos under neither real/ nor fake/, naming them', async () => {
    await touch('real/a.mp4', 'misc/b.mp4');
    const error = await failure(loadLabelledDataset(dir));
    expect(error.code).toBe('UNKNOWN_LABEL');
    expect(error.message).toContain('misc/b.mp4');
  });

  it('rejects a CSV with an unknown label, naming the line and the value', async () => {
    await touch('a.mp4', 'b.mp4');
    await writeFile(path.join(dir, 'labels.csv'), 'path,label\na.mp4,FAKE\nb.mp4,maybe\n');
    const error = await failure(loadLabelledDataset(dir, path.join(dir, 'labels.csv')));
    expect(error.code).toBe('UNKNOWN_LABEL');
    expect(error.message).toContain('labels.csv line 3: "maybe"');
  });

  it('rejects a labels file naming missing videos, and one listing a video twice', async () => {
    await touch('a.mp4');
    await writeFile(path.join(dir, 'labels.csv'), 'a.mp4,REAL\ngone.mp4,FAKE\n');
    const missing = await failure(loadLabelledDataset(dir, path.join(dir, 'labels.csv')));
    expect(missing.code).toBe('MISSING_VIDEO');
    expect(missing.message).toContain('gone.mp4 (labels.csv line 2)');

    await writeFile(path.join(dir, 'labels.csv'), 'a.mp4,REAL\n./a.mp4,FAKE\n');
    const duplicate = await failure(loadLabelledDataset(dir, path.join(dir, 'labels.csv')));
    expect(duplicate.code).toBe('DUPLICATE_VIDEO');
    expect(duplicate.message).toContain('labels.csv line 2 repeats labels.csv line 1');
  });

  it('rejects a labels file that cannot be read or parsed', async () => {
    await touch('a.mp4');
    expect((await failure(loadLabelledDataset(dir, path.join(dir, 'none.csv')))).code).toBe('BAD_LABELS');
    await writeFile(path.join(dir, 'metadata.json'), '{ not json');
    expect((await failure(loadLabelledDataset(dir, path.join(dir, 'metadata.json')))).message).toMatch(/metadata.json is not valid JSON/);
  });
});
