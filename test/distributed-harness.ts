/**
 * A distributed deployment for integration tests: real `deepsift worker` processes on the
 * RabbitMQ of this machine (a namespace of their own) and an S3 server on loopback.
 * Like Kubernetes, the harness restarts a worker that dies (when asked to supervise it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import amqp, { type ChannelModel, type GetMessage } from 'amqplib';
import type { VideoReport } from '../aggregator';
import { DEFAULT_RETRY_DELAY_TIERS_MS, ObjectNotFoundError, type S3Storage } from '../common';
import { cliEnv, REPO_ROOT } from './cli-runner';
import { startS3Server, testS3Storage, S3RVER_CREDENTIALS, type S3Request, type TestS3Server } from './s3-server';
import { testNamespace } from './test-namespaces';

export const AMQP_URL = process.env.DEEPSIFT_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Marks a file that makes the test ffprobe kill the worker that runs it (a poison video). */
export const POISON_MARKER = 'DEEPSIFT-POISON-VIDEO';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** One worker process. */
export class WorkerProcess {
  child!: ChildProcess;
  log = '';
  restarts = 0;
  private stopped = false;

  constructor(
    readonly stage: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly supervise: boolean,
  ) {
    this.spawn();
  }

  private spawn(): void {
    this.child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'deepsift.js'), 'worker', this.stage, ...this.args], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c: Buffer) => (this.log += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.log += c.toString()));
    this.child.once('exit', () => {
      if (this.supervise && !this.stopped) {
        this.restarts += 1;
        this.spawn();
      }
    });
  }

  /** Resolves once the worker's latest start logged that it is ready. */
  async ready(timeoutMs = 120_000): Promise<void> {
    const starts = this.restarts + 1;
    await eventually(async () => {
      if (this.countReady() >= starts) return true;
      if (!this.supervise && this.child.exitCode !== null) throw new Error(`the ${this.stage} worker exited at start:\n${this.log.slice(-2000)}`);
      return undefined;
    }, timeoutMs, `the ${this.stage} worker to start:\n${this.log.slice(-2000)}`);
  }

  private countReady(): number {
    return this.log.split('"Worker ready."').length - 1;
  }

  /** Kills the worker with `signal`; resolves with its exit code once it exited (a supervised one comes back). */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill(signal);
    const [code] = await exited;
    return code;
  }

  /** Stops the worker as Kubernetes would (SIGTERM); resolves with its exit code. */
  async stop(): Promise<number | null> {
    this.stopped = true;
    return this.kill('SIGTERM');
  }
}

/** A namespace on the broker, a bucket on a loopback S3 server, and the workers. */
export class Deployment {
  readonly namespace = testNamespace();
  readonly workers: WorkerProcess[] = [];
  private connection!: ChannelModel;
  announcements: Array<Record<string, unknown>> = [];

  private constructor(
    readonly s3: TestS3Server,
    readonly bucket: S3Storage,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** `onS3Request` sees every request the S3 server answers (the benchmark counts them). */
  static async start(extraEnv: Record<string, string> = {}, onS3Request?: (request: S3Request) => void): Promise<Deployment> {
    const s3 = await startS3Server(undefined, onS3Request);
    const tools = await mkdtemp(path.join(os.tmpdir(), 'deepsift-tools-'));
    // A "crash": the worker running ffprobe or ffmpeg on a poison file dies at once, as on a
    // segfault (an MP4 is probed in-process, so its crash comes with decoding). The worker is
    // the nearest ancestor running bin/deepsift.js (its parent, or above a tool launcher).
    const [fakeFfprobe, fakeFfmpeg] = [path.join(tools, 'ffprobe'), path.join(tools, 'ffmpeg')];
    for (const [fake, tool] of [[fakeFfprobe, 'ffprobe'], [fakeFfmpeg, 'ffmpeg']]) {
      await writeFile(fake!, [
        '#!/bin/sh',
        'for a in "$@"; do case "$a" in file:*) if grep -q ' + POISON_MARKER + ' "${a#file:}" 2>/dev/null; then',
        '  p=$PPID',
        "  while [ \"$p\" -gt 1 ] && ! tr '\\0' ' ' < /proc/$p/cmdline | grep -q bin/deepsift.js; do p=$(cut -d' ' -f4 /proc/$p/stat); done",
        '  kill -9 $p; exit 1',
        'fi;; esac; done',
        `exec ${tool} "$@"`,
        '',
      ].join('\n'));
      await chmod(fake!, 0o755);
    }
    const env = cliEnv({
      DEEPSIFT_AMQP_URL: AMQP_URL,
      DEEPSIFT_S3_ENDPOINT: s3.endpoint,
      DEEPSIFT_S3_BUCKET: s3.bucket,
      DEEPSIFT_S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      DEEPSIFT_LOG_LEVEL: 'info',
      DEEPSIFT_FFPROBE: fakeFfprobe,
      DEEPSIFT_FFMPEG: fakeFfmpeg,
      DEEPSIFT_SHUTDOWN_GRACE_MS: '5000',
      ...extraEnv,
    });
    const deployment = new Deployment(s3, testS3Storage(s3), env);
    env.DEEPSIFT_NAMESPACE = deployment.namespace;
    deployment.connection = await amqp.connect(AMQP_URL);
    return deployment;
  }

  /** Starts a worker and waits until it is ready. */
  async startWorker(stage: string, options: { args?: string[]; env?: Record<string, string>; supervise?: boolean } = {}): Promise<WorkerProcess> {
    const worker = new WorkerProcess(stage, options.args ?? [], { ...this.env, ...options.env }, options.supervise ?? false);
    this.workers.push(worker);
    await worker.ready();
    return worker;
  }

  /** Collects every announcement on `<namespace>.results` from now on. */
  async listenToResults(): Promise<void> {
    const channel = await this.connection.createChannel();
    const exchange = `${this.namespace}.results`;
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, 'report.#');
    await channel.consume(queue, (message) => {
      if (message) this.announcements.push({ routingKey: message.fields.routingKey, ...JSON.parse(message.content.toString()) });
    }, { noAck: true });
  }

  /**
   * Keeps a copy of every message routed on the pipeline with `routingKey` from now on:
   * `take` gives the next one, `replay` publishes it again as a late redelivery would bring it.
   */
  async tapPipeline(routingKey: string): Promise<{ take(timeoutMs?: number): Promise<GetMessage>; replay(message: GetMessage): void; close(): Promise<void> }> {
    const exchange = `${this.namespace}.pipeline`;
    const channel = await this.connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, routingKey);
    return {
      take: (timeoutMs = 10_000) => eventually(async () => (await channel.get(queue, { noAck: true })) || undefined, timeoutMs, `a copy of ${routingKey}`),
      replay: (message) => void channel.publish(exchange, message.fields.routingKey, message.content, { ...message.properties, persistent: true }),
      close: () => channel.close(),
    };
  }

  /** Publishes raw bytes to one of the deployment's exchanges, as MinIO or a crawler would. */
  async publish(exchange: 'submit' | 's3-events', body: string | object): Promise<void> {
    const channel = await this.connection.createConfirmChannel();
    channel.publish(`${this.namespace}.${exchange}`, '', Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), { persistent: true });
    await channel.waitForConfirms();
    await channel.close();
  }

  /** A bucket notification for `key`, in the format MinIO publishes over AMQP. */
  s3Event(key: string, eTag: string, sequencer = Date.now().toString(16).toUpperCase()): object {
    const encoded = encodeURIComponent(key).replace(/%20/g, '+');
    return {
      EventName: 's3:ObjectCreated:Put',
      Key: `${this.s3.bucket}/${encoded}`,
      Records: [{
        eventVersion: '2.0', eventSource: 'minio:s3', awsRegion: '', eventTime: new Date().toISOString(), eventName: 's3:ObjectCreated:Put',
        s3: { s3SchemaVersion: '1.0', configurationId: 'Config', bucket: { name: this.s3.bucket, arn: `arn:aws:s3:::${this.s3.bucket}` },
          object: { key: encoded, size: 1, eTag, contentType: 'video/mp4', sequencer } },
      }],
    };
  }

  /** Resolves with the report of `videoId` once it is in the bucket. */
  async report(videoId: string, timeoutMs = 90_000): Promise<VideoReport> {
    return eventually(async () => {
      try {
        return JSON.parse((await this.bucket.get(`reports/${videoId}.json`)).toString()) as VideoReport;
      } catch (error) {
        // s3rver writes an object's file in place: a read racing the write sees it cut short
        // (AWS S3 and MinIO replace objects atomically). Look again.
        if (error instanceof ObjectNotFoundError || error instanceof SyntaxError) return undefined;
        throw error;
      }
    }, timeoutMs, `the report of ${videoId}`);
  }

  /** Messages waiting in a queue of the deployment (`rabbitmqctl`, as an operator would look). */
  queueDepths(): Map<string, { ready: number; unacked: number }> {
    const out = execFileSync('rabbitmqctl', ['-q', '--no-table-headers', 'list_queues', 'name', 'messages_ready', 'messages_unacknowledged'], { encoding: 'utf8' });
    const depths = new Map<string, { ready: number; unacked: number }>();
    for (const line of out.split('\n')) {
      const [name, ready, unacked] = line.split('\t');
      if (name?.startsWith(`${this.namespace}.`)) depths.set(name.slice(this.namespace.length + 1), { ready: Number(ready), unacked: Number(unacked) });
    }
    return depths;
  }

  /** Gets (and removes) every message of a queue, with its headers. */
  async drain(queue: string): Promise<Array<{ body: string; headers: Record<string, unknown> }>> {
    const channel = await this.connection.createChannel();
    const messages: Array<{ body: string; headers: Record<string, unknown> }> = [];
    for (;;) {
      const message = await channel.get(`${this.namespace}.${queue}`, { noAck: true });
      if (!message) break;
      messages.push({ body: message.content.toString(), headers: message.properties.headers ?? {} });
    }
    await channel.close();
    return messages;
  }

  /** Has the broker close every connection of this deployment, as `rabbitmqctl close_all_connections` would. */
  closeBrokerConnections(): number {
    const listing = execFileSync('rabbitmqctl', ['-q', '--no-table-headers', 'list_connections', 'pid', 'client_properties'], { encoding: 'utf8' });
    const pids = listing.split('\n').filter((line) => line.includes(`deepsift ${this.namespace} `)).map((line) => line.split('\t')[0]!);
    for (const pid of pids) execFileSync('rabbitmqctl', ['-q', 'close_connection', pid, 'test: connection loss']);
    return pids.length;
  }

  /** Stops the workers and removes the namespace's queues and exchanges and the bucket. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    const logDir = process.env.DEEPSIFT_TEST_LOG_DIR;
    if (logDir) {
      await Promise.all(this.workers.map((w, i) => writeFile(path.join(logDir, `${this.namespace}-${i}-${w.stage}.log`), w.log)));
    }
    try {
      const channel = await this.connection.createChannel();
      for (const name of this.queueDepths().keys()) await channel.deleteQueue(`${this.namespace}.${name}`);
      const exchanges = ['pipeline', 'dead', 'results', 'requeue', 'submit', 's3-events', ...DEFAULT_RETRY_DELAY_TIERS_MS.map((ms) => `retry.${ms}`)];
      for (const exchange of exchanges) await channel.deleteExchange(`${this.namespace}.${exchange}`);
      await this.connection.close();
    } finally {
      // Whatever happened above, the bucket server goes (the global teardown removes queues left).
      this.bucket.close();
      await this.s3.close();
    }
  }
}
