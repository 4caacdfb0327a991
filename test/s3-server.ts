/**
 * An S3 server on loopback for integration tests: s3rver on 127.0.0.1 (random port),
 * storing in a fresh temporary folder, with one bucket created up front. Clients sign
 * with the credentials `S3RVER`/`S3RVER`.
 *
 * s3rver runs in a child process started with `--openssl-legacy-provider`: it encrypts
 * ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 only offers there
 * (without it every truncated listing fails with InternalError).
 *
 * s3rver ignores conditional writes; AWS S3 and MinIO honour `If-None-Match: *` and
 * `If-Match: <etag>` on PutObject (412 PreconditionFailed otherwise). A small middleware
 * in front of s3rver gives it the same semantics, checked and written under a per-key
 * lock, so tests of conditional state (the aggregator's) run against the real rule.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { quietAwsSdkNodeWarning } from '../cli/node-support';
import { S3Storage, type S3StorageOptions } from '../common/storage/s3-storage';

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
  /** Stops the server but keeps its objects (an outage); `resume` brings it back on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** One request the S3 server answered, as `startS3Server`'s `onRequest` sees it. */
export interface S3Request {
  method: string;
  /** The object key (empty for a bucket request: a listing, a HEAD of the bucket). */
  key: string;
  /** Bytes of the request's body and of the answer's body (their Content-Length). */
  requestBytes: number;
  responseBytes: number;
  status: number;
}

// Runs in the child: starts s3rver with the options in argv[2] behind the conditional-write
// middleware, prints its address as JSON; with argv[3] = 'log', then one JSON line per request.
const SERVER_SCRIPT = `
const S3rver = require(process.argv[1]);
const server = new S3rver(JSON.parse(process.argv[2]));
const tails = new Map();
if (process.argv[3] === 'log') {
  server.middleware.unshift(async (ctx, next) => {
    try {
      await next();
    } finally {
      const [, , ...key] = decodeURIComponent(ctx.path).split('/');
      const line = { method: ctx.method, key: key.join('/'), requestBytes: Number(ctx.get('content-length') || 0), responseBytes: ctx.response.length || 0, status: ctx.status };
      process.stdout.write(JSON.stringify(line) + '\\n');
    }
  });
}
server.middleware.unshift(async (ctx, next) => {
  const noneMatch = ctx.get('if-none-match');
  const match = ctx.get('if-match');
  if (ctx.method !== 'PUT' || (!noneMatch && !match) || ctx.query.uploadId !== undefined) return next();
  const [, bucket, ...rest] = decodeURIComponent(ctx.path).split('/');
  const id = bucket + '/' + rest.join('/');
  const previous = tails.get(id) || Promise.resolve();
  let release;
  const mine = new Promise((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(id, tail);
  await previous;
  try {
    let etag;
    try { etag = (await server.store.getMetadata(bucket, rest.join('/'))).etag; } catch { etag = undefined; }
    if ((noneMatch === '*' && etag !== undefined) || (match && match !== etag)) {
      ctx.status = 412;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
      return;
    }
    await next();
  } finally {
    release();
    if (tails.get(id) === tail) tails.delete(id);
  }
});
server.run().then(
  (address) => process.stdout.write(JSON.stringify(address) + '\\n'),
  (error) => { console.error(error); process.exit(1); },
);`;

/**
 * Starts s3rver with a bucket named `bucket` (default: a unique `test-<uuid>`). With
 * `onRequest`, every request it answers is reported (the benchmark's traffic by object kind).
 */
export async function startS3Server(bucket = `test-${randomUUID()}`, onRequest?: (request: S3Request) => void): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'deepsift-s3rver-'));
  let child: ChildProcess | undefined;
  const launch = async (port: number) => {
    const options = { address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: bucket }] };
    child = spawn(
      process.execPath,
      ['--openssl-legacy-provider', '-e', SERVER_SCRIPT, require.resolve('s3rver'), JSON.stringify(options), ...(onRequest ? ['log'] : [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return readPort(child, onRequest);
  };
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  };
  const stop = async () => {
    await kill();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    const port = await launch(0);
    return { endpoint: `http://127.0.0.1:${port}`, bucket, close: stop, pause: kill, resume: async () => void (await launch(port)) };
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

/** The port from the child's first line; the lines after it go to `onRequest`. */
async function readPort(child: ChildProcess, onRequest?: (request: S3Request) => void): Promise<number> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(() => undefined);
  const first = await Promise.race([once(lines, 'line'), exited]);
  if (first === undefined || !onRequest) lines.close();
  else lines.on('line', (line: string) => onRequest(JSON.parse(line) as S3Request));
  if (first === undefined) throw new Error(`s3rver exited before listening: ${stderr.trim()}`);
  return (JSON.parse(String(first[0])) as { port: number }).port;
}
