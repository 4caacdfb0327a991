/**
 * An S3 server on loopback for integration tests: s3rver on 127.0.0.1 (random port),
 * storing in a fresh temporary folder, with one bucket created up front. Clients sign
 * with the credentials `S3RVER`/`S3RVER`.
 *
 * s3rver runs in a child process started with `--openssl-legacy-provider`: it encrypts
 * ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 only offers there
 * (without it every truncated listing fails with InternalError).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { quietAwsSdkNodeWarning } from '../cli/node-support';
import { S3Storage, type S3StorageOptions } from '../common/s3-storage';

// Tests build S3 clients as the CLI does: without the SDK's Node-version warning.
quietAwsSdkNodeWarning();

/** Credentials s3rver accepts. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** A running test S3 server. */
export interface TestS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** Stops the server and removes its folder. */
  close(): Promise<void>;
}

// Runs in the child: starts s3rver with the options in argv[1], prints its address as JSON.
const SERVER_SCRIPT = `
const S3rver = require(process.argv[1]);
new S3rver(JSON.parse(process.argv[2])).run().then(
  (address) => process.stdout.write(JSON.stringify(address) + '\\n'),
  (error) => { console.error(error); process.exit(1); },
);`;

/** Starts s3rver with a bucket named `bucket` (default: a unique `test-<uuid>`). */
export async function startS3Server(bucket = `test-${randomUUID()}`): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'deepsift-s3rver-'));
  const options = { address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] };
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', SERVER_SCRIPT, require.resolve('s3rver'), JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await rm(directory, { recursive: true, force: true });
  };
  try {
    const port = await readPort(child);
    return { endpoint: `http://127.0.0.1:${port}`, bucket, close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An `S3Storage` on the test server's bucket. */
export function testS3Storage(server: TestS3Server, options: Partial<S3StorageOptions> = {}): S3Storage {
  return new S3Storage({
    endpoint: server.endpoint,
    region: 'us-east-1',
    bucket: server.bucket,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    ...options,
  });
}

async function readPort(child: ChildProcess): Promise<number> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(() => undefined);
  const first = await Promise.race([once(lines, 'line'), exited]);
  lines.close();
  if (first === undefined) throw new Error(`s3rver exited before listening: ${stderr.trim()}`);
  return (JSON.parse(String(first[0])) as { port: number }).port;
}
