/**
 * The distributed half of `npm run bench`: one `deepsift worker <stage>` process per stage on
 * the RabbitMQ of this machine (a namespace of its own) and an S3 server on loopback (the
 * integration tests' harness). Start-up is not timed: the clock starts once every worker
 * has logged "Worker ready.", just before the first video is put into `incoming/`, and stops
 * when the last of the K reports is announced on `<ns>.results` (the aggregator announces
 * after writing the report; all K are then checked under `reports/` once). Listing the
 * bucket every few hundred ms instead costs the S3 server seconds of CPU on a 2-core machine.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { hashFile } from '../ingest';
import { AMQP_URL, Deployment, sleep } from '../test/distributed-harness';
import { BrokerTrafficCounter, type BrokerTraffic } from './broker-traffic';
import { printTable, seconds } from './print-table';
import { cpuMsWithToolsOf, findPids, ioBytesOf, peakRssKiBOf } from './process-stats';
import { S3TrafficCounter, type S3TrafficLine } from './s3-traffic';

/**
 * The worker processes of each layout, in the order they are started: `group` is the
 * default deployment (the frame extractor and the face cropper in one process, frames in
 * memory); `split` runs one process per stage, frames crossing the bucket encoded.
 */
export const LAYOUTS = {
  group: ['aggregator', 'detector-workers', 'frame-extractor,face-cropper', 'ingest'],
  split: ['aggregator', 'detector-workers', 'face-cropper', 'frame-extractor', 'ingest'],
} as const;
export type Layout = keyof typeof LAYOUTS;

/** How often the announcements received so far are checked: the timing's resolution. */
const ANNOUNCEMENT_POLL_MS = 50;
/** A run that has not produced every report by then is given up. */
const RUN_TIMEOUT_MS = 15 * 60_000;

/** Options of one distributed run. */
export interface DistributedOptions {
  /** `DEEPSIFT_VIDEO_CONCURRENCY` of the frame-extractor worker only; undefined keeps the default. */
  extractorConcurrency?: number;
  layout: Layout;
}

/** What one distributed run of K videos cost. */
export interface DistributedResult {
  k: number;
  layout: Layout;
  /** Worker start-up until every worker was ready (not in `wallMs`). */
  startupMs: number;
  /** First upload to the last report. */
  wallMs: number;
  /** Of which putting the K videos into `incoming/` and notifying (uploads and notifications interleave with the work). */
  uploadMs: number;
  traffic: BrokerTraffic;
  /** Retries (`Message will be retried.`, published to the default exchange and not in `traffic`) and dead letters, from the worker logs. */
  retries: number;
  deadLetters: number;
  /** CPU during the timed part, in ms: per worker stage (ffmpeg children included), the S3 server, the broker (shared: may include other load). */
  cpuMs: Record<string, number>;
  /** VmHWM of each worker process at the end, in KiB. */
  peakRssKiB: Record<string, number>;
  /** Per-video stage timings from the reports, summed, in ms; `totalMs` is averaged (submission to report). */
  busyMs: Record<string, number>;
  meanLatencyMs: number;
  /** Bytes the S3 server read and wrote through system calls (sockets and its files) during the timed part. */
  s3IoBytes: { readBytes: number; writtenBytes: number };
  /** The S3 requests of the timed part by object kind. */
  s3Requests: S3TrafficLine[];
  /** Bytes of the K videos themselves. */
  videoBytes: number;
  failed: number;
}

/**
 * How many times the S3 server reads or writes each byte of a video, whatever the layout:
 * its upload (socket in, file out), ingest's read to hash it and the extractor's download
 * (file in, socket out, each). Every deployment pays these; the rest is intermediate data.
 */
export const VIDEO_OWN_S3_PASSES = 6;

/** S3 server bytes per video: the video's own (see {@link VIDEO_OWN_S3_PASSES}) and the rest. */
export function s3BytesPerVideo(r: DistributedResult): { ownBytes: number; intermediateBytes: number } {
  const total = (r.s3IoBytes.readBytes + r.s3IoBytes.writtenBytes) / r.k;
  const ownBytes = (VIDEO_OWN_S3_PASSES * r.videoBytes) / r.k;
  return { ownBytes, intermediateBytes: total - ownBytes };
}

/** Runs the K `files` through a fresh deployment and measures it. */
export async function runDistributed(files: string[], options: DistributedOptions, log: (m: string) => void): Promise<DistributedResult> {
  const videoIds = await Promise.all(files.map(async (f) => (await hashFile(f)).sha256));
  const startupStart = performance.now();
  const s3Traffic = new S3TrafficCounter();
  const deployment = await Deployment.start({
    // Debug adds a few lines per message; it is how retries are counted.
    DEEPSIFT_LOG_LEVEL: process.env.DEEPSIFT_LOG_LEVEL ?? 'debug',
    DEEPSIFT_SHUTDOWN_GRACE_MS: '5000',
  }, s3Traffic.onRequest);
  try {
    const workers = LAYOUTS[options.layout];
    log(`distributed (${options.layout}): namespace ${deployment.namespace}, starting ${workers.length} workers...`);
    const extractorEnv = options.extractorConcurrency === undefined ? undefined : { DEEPSIFT_VIDEO_CONCURRENCY: String(options.extractorConcurrency) };
    await Promise.all(workers.map((stage) => deployment.startWorker(stage, { env: stage.startsWith('frame-extractor') ? extractorEnv : undefined })));
    const startupMs = performance.now() - startupStart;
    const counter = await BrokerTrafficCounter.create(AMQP_URL, deployment.namespace, ['s3-events', 'submit']);
    await counter.start();
    await deployment.listenToResults();

    const pids = processesOf(deployment);
    const cpuBefore = mapValues(pids, cpuMsWithToolsOf);
    const s3IoBefore = ioBytesOf(pids['s3 server']);
    s3Traffic.counting = true;
    log(`distributed: workers ready after ${(startupMs / 1000).toFixed(1)} s; putting ${files.length} videos into incoming/...`);
    const start = performance.now();
    // One after the other, each notified as soon as it is stored: the pipeline starts on the first while the others upload.
    for (const [i, file] of files.entries()) {
      const key = `incoming/bench-${String(i).padStart(3, '0')}.mp4`;
      await deployment.bucket.put(key, await readFile(file));
      const { etag } = await deployment.bucket.head(key);
      await deployment.publish('s3-events', deployment.s3Event(key, etag));
    }
    const uploadMs = performance.now() - start;
    await waitForReports(deployment, videoIds);
    const wallMs = performance.now() - start;
    const cpuAfter = mapValues(pids, cpuMsWithToolsOf);
    const s3IoAfter = ioBytesOf(pids['s3 server']);
    s3Traffic.counting = false;
    const peakRssKiB = Object.fromEntries(deployment.workers.map((w) => [w.stage, peakRssKiBOf(w.child.pid)]));
    log(`distributed: ${files.length} reports announced after ${(wallMs / 1000).toFixed(1)} s`);

    const traffic = await counter.stop();
    const reports = await Promise.all(videoIds.map(async (id) => JSON.parse((await deployment.bucket.get(`reports/${id}.json`)).toString()) as Report));
    const busyMs: Record<string, number> = {};
    for (const report of reports) {
      for (const [stage, ms] of Object.entries(report.timings)) if (stage !== 'totalMs') busyMs[stage] = (busyMs[stage] ?? 0) + (ms ?? 0);
    }
    const logs = deployment.workers.map((w) => w.log).join('');
    return {
      k: files.length,
      layout: options.layout,
      startupMs,
      wallMs,
      uploadMs,
      traffic,
      retries: logs.split('"Message will be retried."').length - 1,
      deadLetters: logs.split('"Message dead-lettered."').length - 1,
      cpuMs: Object.fromEntries(Object.keys(pids).map((name) => [name, cpuAfter[name]! - cpuBefore[name]!])),
      peakRssKiB,
      busyMs,
      meanLatencyMs: reports.reduce((sum, r) => sum + (r.timings.totalMs ?? 0), 0) / reports.length,
      s3Requests: s3Traffic.result(),
      s3IoBytes: { readBytes: s3IoAfter.readBytes - s3IoBefore.readBytes, writtenBytes: s3IoAfter.writtenBytes - s3IoBefore.writtenBytes },
      videoBytes: (await Promise.all(files.map((f) => stat(f)))).reduce((sum, st) => sum + st.size, 0),
      failed: reports.filter((r) => r.status !== 'done').length,
    };
  } finally {
    await deployment.close();
  }
}

/** The fields of a report the benchmark reads. */
interface Report {
  status: string;
  timings: Partial<Record<string, number>>;
}

/** Waits until every video's report is announced, then checks that every report is in `reports/`. */
async function waitForReports(deployment: Deployment, videoIds: string[]): Promise<void> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  for (;;) {
    const announced = new Set(deployment.announcements.map((a) => a.videoId));
    const missing = videoIds.filter((id) => !announced.has(id)).length;
    if (missing === 0) break;
    if (Date.now() > deadline) throw new Error(`timed out: ${missing} report(s) not announced after ${RUN_TIMEOUT_MS / 1000} s`);
    await sleep(ANNOUNCEMENT_POLL_MS);
  }
  const wanted = new Set(videoIds.map((id) => `reports/${id}.json`));
  for await (const object of deployment.bucket.list('reports/')) wanted.delete(object.key);
  if (wanted.size > 0) throw new Error(`announced but not in the bucket: ${[...wanted].join(', ')}`);
}

/** The pids whose CPU counts: each worker, the S3 server (our child), the broker's Erlang VM. */
function processesOf(deployment: Deployment): Record<string, number | undefined> {
  const pids: Record<string, number | undefined> = Object.fromEntries(deployment.workers.map((w) => [w.stage, w.child.pid]));
  pids['s3 server'] = findPids('s3rver', process.pid)[0];
  pids['rabbitmq'] = findPids(`${path.sep}beam.smp`)[0];
  return pids;
}

function mapValues<T>(record: Record<string, number | undefined>, f: (v: number | undefined) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

/** Prints the details of a distributed run: traffic by exchange and routing key, CPU and memory by process. */
export function printDistributedDetails(r: DistributedResult): void {
  const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
  console.log(`distributed (${r.layout}) K=${r.k}: start-up ${seconds(r.startupMs)} s (not timed), run ${seconds(r.wallMs)} s, of which uploads+notifications ${seconds(r.uploadMs)} s;` +
    ` mean submission-to-report ${seconds(r.meanLatencyMs)} s; ${r.retries} retries, ${r.deadLetters} dead letters, ${r.failed} failed reports`);
  const traffic: string[][] = [['exchange', 'routing key', 'messages', 'msgs/video', 'KiB', 'KiB/video', 'max KiB']];
  for (const l of r.traffic.lines) {
    traffic.push([l.exchange.replace(/^[^.]+\./, ''), l.routingKey, String(l.messages), (l.messages / r.k).toFixed(1), kib(l.bytes), kib(l.bytes / r.k), kib(l.maxBytes)]);
  }
  traffic.push(['all', '', String(r.traffic.messages), (r.traffic.messages / r.k).toFixed(1), kib(r.traffic.bytes), kib(r.traffic.bytes / r.k), kib(r.traffic.maxBytes)]);
  printTable(traffic);
  console.log('');
  const processes: string[][] = [['process', 'CPU s', 'CPU % of run', 'peak RSS MiB', 'busy s (reports)']];
  for (const [name, cpu] of Object.entries(r.cpuMs)) {
    const rss = r.peakRssKiB[name];
    processes.push([name, seconds(cpu), ((100 * cpu) / r.wallMs).toFixed(0), rss === undefined ? '-' : (rss / 1024).toFixed(0), seconds(r.busyMs[name])]);
  }
  printTable(processes);
  const mib = (bytes: number): string => (bytes / 1024 ** 2).toFixed(0);
  const { ownBytes, intermediateBytes } = s3BytesPerVideo(r);
  console.log(`S3 server I/O (sockets + files): read ${mib(r.s3IoBytes.readBytes)} MiB, written ${mib(r.s3IoBytes.writtenBytes)} MiB per run;` +
    ` per video: the video's own ${(ownBytes / 1024 ** 2).toFixed(1)} MiB (${VIDEO_OWN_S3_PASSES} × its size: upload, ingest's hashing read, the extractor's download),` +
    ` intermediate data (frames, crops, state) ${(intermediateBytes / 1024 ** 2).toFixed(1)} MiB`);
  const requests: string[][] = [['S3 objects', 'requests/video', 'KiB in/video', 'KiB out/video']];
  for (const line of r.s3Requests) {
    const methods = Object.entries(line.requests).map(([method, n]) => `${(n / r.k).toFixed(1)} ${method}`).join(', ');
    requests.push([line.kind, methods, kib(line.bytesIn / r.k), kib(line.bytesOut / r.k)]);
  }
  console.log('');
  printTable(requests);
  console.log('S3 objects: request and answer bodies as the S3 server counted them (Content-Length), over the timed part; the benchmark\'s');
  console.log('own uploads to incoming/ and its listings of reports/ included. The server\'s I/O above counts each body twice more (its files).');
  console.log('CPU: /proc utime+stime of each process and its waited-for children (ffmpeg) over the timed part; rabbitmq is the shared');
  console.log('broker (other load on it counts too). Busy: per-video stage ms from the reports, summed. Broker bytes: message bodies.');
}
