import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { nodeSupportNotice } from './node-support';

describe('Node.js support', () => {
  it('names the end of life of Node 20 and is quiet on current LTS lines', () => {
    expect(nodeSupportNotice('v20.19.2')).toMatch(/Node\.js v20\.19\.2 is past its end of life/);
    expect(nodeSupportNotice('v22.12.0')).toBeUndefined();
    expect(nodeSupportNotice('v26.12.1')).toBeUndefined();
  });

  it('prints no AWS SDK warning when a command builds an S3 client', () => {
    // Submitting a local file builds an S3 client to upload it; the endpoint refuses.
    const root = path.resolve(__dirname, '..');
    const env: NodeJS.ProcessEnv = { ...process.env, DEEPSIFT_S3_ENDPOINT: 'http://127.0.0.1:1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const run = spawnSync(process.execPath, [path.join(root, 'bin', 'deepsift.js'), 'submit', path.join(root, 'package.json')], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
    expect(run.status).toBe(3);
  });
});
