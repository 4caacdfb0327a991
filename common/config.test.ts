import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configTableMarkdown, resolveConfig } from './config';

describe('resolveConfig', () => {
  it('uses defaults, then environment, then flags', () => {
    expect(resolveConfig({}).framesPerVideo).toBe(32);
    expect(resolveConfig({ DEEPSIFT_FRAMES_PER_VIDEO: '8' }).framesPerVideo).toBe(8);
    expect(resolveConfig({ DEEPSIFT_FRAMES_PER_VIDEO: '8' }, { frames: '4' }).framesPerVideo).toBe(4);
    expect(resolveConfig({ DEEPSIFT_DETECTORS: 'meso4-df, meso4-f2f' }).detectors).toEqual(['meso4-df', 'meso4-f2f']);
    // Deployments configured before crops from YUV frames were stored as planes still start.
    expect(resolveConfig({ DEEPSIFT_CROP_ENCODING: 'webp' }).cropEncoding).toBe('lossless');
    expect(resolveConfig({}).cropEncoding).toBe('lossless');
  });

  it('fails fast naming the variable or flag', () => {
    expect(() => resolveConfig({ DEEPSIFT_BATCH_MAX_SIZE: 'zero' })).toThrow('invalid DEEPSIFT_BATCH_MAX_SIZE: expected an integer ≥ 0, got "zero"');
    expect(() => resolveConfig({}, { threshold: '2' })).toThrow('invalid --threshold: expected a number in [0, 1], got "2"');
    expect(() => resolveConfig({ DEEPSIFT_AGGREGATION: 'median' })).toThrow(/DEEPSIFT_AGGREGATION: expected one of track-max, confident/);
  });

  it('is documented in the README, table and all', () => {
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(configTableMarkdown());
  });
});
