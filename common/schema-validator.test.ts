import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SCHEMA_VALIDATORS, writePrecompiledValidators } from '../cli/precompile-validators';
import { defaultModelsDir } from '../weights/manifest-registry';
import { SchemaValidator } from './schema-validator';
import { createEnvelope } from './envelope';

const manifests = (): unknown[] => {
  const dir = defaultModelsDir();
  return ['meso4-df', 'ultraface-rfb-640', 'lrnet-ffpp'].map((name) => JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as unknown);
};

/** Values each validator is tried on: some valid, most not, each for its own reason. */
function samples(): unknown[] {
  const source = { kind: 'file', uri: 'a.mp4', path: '/tmp/a.mp4', submittedAt: '2026-12-07T12:00:00.000Z' };
  const job = createEnvelope('video.job', 'b'.repeat(64), 'corr', { source: source as never, sizeBytes: 10, detectors: ['meso4-df'] });
  const [manifest] = manifests() as Array<Record<string, unknown>>;
  return [
    ...manifests(),
    { ...manifest, name: 'Not A Name' },
    { ...manifest, files: [], threshold: 2, extra: true },
    job,
    job.payload,
    { ...job.payload, detectors: [] },
    { ...job, videoId: 'not-a-hash', schemaVersion: 2 },
    { uri: 's3://bucket/key.mp4', detectors: ['meso4-df'] },
    { status: 'failed' },
    null,
    'text',
    [],
  ];
}

describe('precompiled JSON Schema validators', () => {
  let dir: string;
  beforeAll(() => {
    // Under node_modules/, as dist/ is: the validators' code requires ajv's run-time helpers.
    const cache = path.join(__dirname, '..', 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(path.join(cache, 'deepsift-validators-'));
    writePrecompiledValidators(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('judge every sample as the schema compiled at run time does, with the same errors', () => {
    for (const validator of SCHEMA_VALIDATORS) {
      const precompiled = new SchemaValidator(validator.name, validator.schema, validator.options, dir);
      const compiled = new SchemaValidator(validator.name, validator.schema, validator.options, path.join(dir, 'none'));
      for (const sample of samples()) {
        expect([validator.name, precompiled.validate(sample), precompiled.errors]).toEqual([validator.name, compiled.validate(sample), compiled.errors]);
      }
      expect([precompiled.origin, compiled.origin]).toEqual(['precompiled', 'compiled']);
    }
    // The samples are not all valid, nor all invalid, for the manifests and the jobs.
    const manifest = new SchemaValidator(SCHEMA_VALIDATORS[0]!.name, SCHEMA_VALIDATORS[0]!.schema, SCHEMA_VALIDATORS[0]!.options, dir);
    expect(new Set(samples().map((sample) => manifest.validate(sample)))).toEqual(new Set([true, false]));
  });

  it('are not used once the schema they were made from has changed: the new schema is compiled', () => {
    const schema = { type: 'object', required: ['a'] };
    writeFileSync(path.join(dir, 'changed.js'), new SchemaValidator('changed', schema).standaloneModule());
    const current = new SchemaValidator('changed', { type: 'object', required: ['b'] }, undefined, dir);
    expect(current.validate({ a: 1 })).toBe(false);
    expect(current.origin).toBe('compiled');
    expect(current.errorsText('data')).toBe("data must have required property 'b'");
  });
});
