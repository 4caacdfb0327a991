/**
 * Debian's `prometheus` for tests: started on loopback with a configuration built from the
 * repository's, storage in a temporary folder, queried through its HTTP API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { eventually } from './distributed-harness';

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One series of a query result: its labels and values (a range query gives several). */
export interface PromSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** A running Prometheus. */
export class PrometheusServer {
  log = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  /** Starts `prometheus` with `config` (an object written as YAML) and waits until it is ready. */
  static async start(config: object): Promise<PrometheusServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deepsift-prometheus-'));
    const configFile = path.join(dir, 'prometheus.yml');
    await writeFile(configFile, stringify(config));
    const port = await freePort();
    const child = spawn('prometheus', [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`);
    child.stdout!.on('data', (c: Buffer) => (server.log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (server.log += c.toString()));
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited at start:\n${server.log}`);
      const ready = await fetch(`${server.url}/-/ready`).then((r) => r.ok, () => false);
      return ready ? true : undefined;
    }, 30_000, `prometheus to start:\n${server.log}`);
    return server;
  }

  /** GET /api/v1/<endpoint>; rejects with Prometheus's error text. */
  async api<T>(endpoint: string, params: Record<string, string | string[]> = {}): Promise<T> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) for (const v of [value].flat()) query.append(key, v);
    const response = await fetch(`${this.url}/api/v1/${endpoint}?${query}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${endpoint} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  }

  /** Evaluates `expr` over [start, end] (seconds) every `stepSeconds`. */
  async queryRange(expr: string, start: number, end: number, stepSeconds = 1): Promise<PromSeries[]> {
    const data = await this.api<{ result: PromSeries[] }>('query_range', { query: expr, start: String(start), end: String(end), step: String(stepSeconds) });
    return data.result;
  }

  /** Evaluates `expr` now. */
  async query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    return (await this.api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>('query', { query: expr })).result;
  }

  /** Stops Prometheus and removes its storage. */
  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
