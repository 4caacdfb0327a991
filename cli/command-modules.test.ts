/**
 * What a command loads before it does anything: each command's module is loaded only when
 * that command runs, and the libraries of distributed mode (the S3 SDK, the broker client, the
 * HTTP server) only where it connects or serves. `deepsift scan` used to load them all, which
 * was half of its start-up.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..');
/** Precedes the list in the output, after whatever the command printed. */
const MARK = 'loaded:';
const DISTRIBUTED_LIBRARIES = ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', 'amqplib', 'fastify'];

/**
 * The packages, their files (from node_modules/) and the dist/ modules loaded on the main thread
 * once `expression` has settled, in a fresh Node.
 */
function loadedBy(expression: string): { packages: string[]; packageFiles: string[]; modules: string[] } {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) first');
  }
  const report = `
    const files = Object.keys(require.cache);
    const packages = new Set(files.map((f) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean));
    const packageFiles = files.filter((f) => f.includes('/node_modules/')).map((f) => f.slice(f.lastIndexOf('/node_modules/') + 14));
    const modules = files.filter((f) => f.includes('/dist/')).map((f) => f.slice(f.indexOf('/dist/') + 6));
    process.stdout.write('\\n' + MARK + JSON.stringify({ packages: [...packages], packageFiles, modules }));`;
  const script = `const MARK = ${JSON.stringify(MARK)}; Promise.resolve(${expression}).then(() => { ${report} });`;
  const output = execFileSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  return JSON.parse(output.slice(output.lastIndexOf(MARK) + MARK.length)) as { packages: string[]; packageFiles: string[]; modules: string[] };
}

describe('what a command loads', () => {
  it('deepsift scan loads its pipeline and none of the S3 SDK, the broker client or the HTTP server', () => {
    const { packages, modules } = loadedBy("require('./dist/cli/scan-command.js')");
    // ONNX Runtime itself loads in the sessions' worker threads, with the models.
    expect(packages).toContain('sharp');
    expect(modules).toEqual(expect.arrayContaining(['frame-extractor/extract-frames.js', 'common/onnx-worker-session.js']));
    for (const library of DISTRIBUTED_LIBRARIES) expect(packages).not.toContain(library);
    expect(modules).not.toContain('cli/serve-command.js');
  });

  it('deepsift scan checks the model manifests and its jobs with validators built by npm run build, compiling no schema', () => {
    const job = `createEnvelope('video.job', 'b'.repeat(64), 'corr', { source: { kind: 'file', uri: 'a.mp4', path: '/tmp/a.mp4', submittedAt: new Date().toISOString() }, sizeBytes: 10, detectors: ['meso4-df'] })`;
    const registry = "require('./dist/weights/manifest-registry.js')";
    const { packageFiles } = loadedBy(
      `require('./dist/cli/scan-command.js') && ${registry}.loadManifests(${registry}.defaultModelsDir())` +
        `.then(() => { const { createEnvelope, validateEnvelope } = require('./dist/common/envelope.js'); validateEnvelope(${job}); })`,
    );
    expect(packageFiles).toContain('ajv/dist/runtime/ucs2length.js');
    expect(packageFiles.filter((file) => file.startsWith('ajv/') && !file.startsWith('ajv/dist/runtime/'))).toEqual([]);
  });

  it('deepsift --version loads no command', () => {
    const { packages, modules } = loadedBy("require('./dist/cli/main.js').main(['--version'])");
    expect(modules).toContain('cli/main.js');
    expect(modules.filter((m) => /-command\.js$/.test(m))).toEqual([]);
    expect(packages).not.toContain('sharp');
  });
});
