import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../test/cli-runner';

describe('deepsift weights list and show', () => {
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'deepsift-weights-cli-'));
  });
  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('lists every model as one table row: name, kind, state, licence', async () => {
    const fetched = await runCli(['weights', 'fetch', 'ultraface-rfb-320'], { DEEPSIFT_CACHE_DIR: cacheDir });
    expect(fetched.code).toBe(0);
    const list = await runCli(['weights', 'list'], { DEEPSIFT_CACHE_DIR: cacheDir });
    expect(list.code).toBe(0);
    const rows = list.stdout.split('\n').filter((line) => line.startsWith('│'));
    const cells = rows.map((row) => row.split('│').slice(1, -1).map((c) => c.trim()));
    expect(cells[0]).toEqual(['name', 'kind', 'state', 'licence']);
    expect(cells).toContainEqual(['ultraface-rfb-320', 'face-detector', 'cached, verified', 'MIT']);
    expect(cells).toContainEqual(['meso4-df', 'deepfake-detector', 'not cached', 'Apache-2.0']);
    // One line per model (every built-in manifest): no description paragraphs.
    const manifests = readdirSync(path.join(__dirname, '..', 'weights', 'models')).filter((f) => f.endsWith('.json'));
    expect(manifests.length).toBeGreaterThanOrEqual(8);
    expect(rows).toHaveLength(1 + manifests.length);
  });

  it('shows one model\'s full card, as text and as JSON', async () => {
    const text = await runCli(['weights', 'show', 'meso4-df'], { DEEPSIFT_CACHE_DIR: cacheDir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^meso4-df \(deepfake-detector\)/);
    expect(text.stdout).toContain('MesoNet: a Compact Facial Video Forgery Detection Network');
    expect(text.stdout).toMatch(/licence: +Apache-2\.0/);
    expect(text.stdout).toContain('Meso4_DF.h5  missing');

    const json = await runCli(['weights', 'show', 'ultraface-rfb-320', '--json'], { DEEPSIFT_CACHE_DIR: cacheDir });
    expect(json.code).toBe(0);
    const card = JSON.parse(json.stdout);
    expect(card.card.license).toBe('MIT');
    expect(card.cache.verified).toBe(true);
  });

  it('exits 2 naming the known models when the model is unknown', async () => {
    const result = await runCli(['weights', 'show', 'no-such-model'], { DEEPSIFT_CACHE_DIR: cacheDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Known models: blazeface-back-256');
  });
});
