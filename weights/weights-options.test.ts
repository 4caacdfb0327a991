import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_FETCH_TIMEOUT_MS, WEIGHTS_ENVIRONMENT, defaultCacheDir, resolveWeightsOptions } from './weights-options';
import { WeightsConfigError } from './weights-errors';

describe('defaultCacheDir', () => {
  it('prefers DEEPSIFT_CACHE_DIR, then an absolute XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDir({ DEEPSIFT_CACHE_DIR: '/srv/models', XDG_CACHE_HOME: '/xdg' })).toBe('/srv/models');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/deepsift');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative/xdg' })).toBe(path.join(os.homedir(), '.cache', 'deepsift'));
    expect(defaultCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'deepsift'));
  });
});

describe('resolveWeightsOptions', () => {
  it('reads the mirror, base URL and timeout from the environment', () => {
    const resolved = resolveWeightsOptions({
      env: {
        DEEPSIFT_WEIGHTS_MIRROR: '/mirror',
        DEEPSIFT_WEIGHTS_BASE_URL: 'http://127.0.0.1:8000/weights/',
        DEEPSIFT_FETCH_TIMEOUT_MS: '2500',
      },
    });
    expect(resolved.mirrorDir).toBe('/mirror');
    expect(resolved.baseUrl).toBe('http://127.0.0.1:8000/weights');
    expect(resolved.fetchTimeoutMs).toBe(2500);
  });

  it('lets explicit options win and null switch the mirror and base URL off', () => {
    const env = { DEEPSIFT_WEIGHTS_MIRROR: '/mirror', DEEPSIFT_WEIGHTS_BASE_URL: 'http://example.test' };
    const resolved = resolveWeightsOptions({ env, mirrorDir: null, baseUrl: null, cacheDir: '/tmp/c' });
    expect(resolved.mirrorDir).toBeUndefined();
    expect(resolved.baseUrl).toBeUndefined();
    expect(resolved.cacheDir).toBe('/tmp/c');
    expect(resolveWeightsOptions({ env: {} }).fetchTimeoutMs).toBe(DEFAULT_FETCH_TIMEOUT_MS);
  });

  it('fails fast naming the variable with an invalid value', () => {
    const bad = (env: NodeJS.ProcessEnv) => () => resolveWeightsOptions({ env });
    expect(bad({ DEEPSIFT_FETCH_TIMEOUT_MS: 'soon' })).toThrow(WeightsConfigError);
    expect(bad({ DEEPSIFT_FETCH_TIMEOUT_MS: '-5' })).toThrow(/DEEPSIFT_FETCH_TIMEOUT_MS/);
    expect(bad({ DEEPSIFT_WEIGHTS_BASE_URL: 'ftp://host/x' })).toThrow(/DEEPSIFT_WEIGHTS_BASE_URL.*http/);
    expect(() => resolveWeightsOptions({ env: {}, baseUrl: 'not a url' })).toThrow(/Invalid baseUrl/);
  });

  it('documents every variable it reads', () => {
    expect(WEIGHTS_ENVIRONMENT.map((doc) => doc.variable)).toEqual([
      'DEEPSIFT_CACHE_DIR',
      'DEEPSIFT_WEIGHTS_MIRROR',
      'DEEPSIFT_WEIGHTS_BASE_URL',
      'DEEPSIFT_MODELS_DIR',
      'DEEPSIFT_FETCH_TIMEOUT_MS',
    ]);
  });
});

describe('weights/README.md', () => {
  it('has one configuration row per variable, with its default and description', () => {
    const readme = fs.readFileSync(path.join(__dirname, 'README.md'), 'utf8');
    for (const doc of WEIGHTS_ENVIRONMENT) {
      expect(readme).toContain(`| \`${doc.variable}\` | ${doc.defaultValue} | ${doc.description} |`);
    }
    expect(readme.match(/^\| `DEEPSIFT_/gm)).toHaveLength(WEIGHTS_ENVIRONMENT.length);
  });
});
