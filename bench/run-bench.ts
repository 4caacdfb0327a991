/**
 * `npm run bench`: scans K remuxed copies of the sample video with the real CLI and, in the
 * same run, times plain `ffmpeg -i FILE -f null -` over the same files, then prints the
 * ratio scan time / plain-decode time, videos per minute, per-stage busy time and peak RSS.
 * With `--mode distributed` or `both` (the default) it also runs the same K videos through
 * one `deepsift worker` process per stage on the local RabbitMQ and an S3 server on
 * loopback, and prints videos per minute in each mode, their ratio and the broker traffic
 * per video. A benchmark that prints figures, never a test: nothing here fails on a slow machine.
 *
 *   npm run bench -- --mode embedded --k 4,16 --keep
 *   npm run bench -- --mode both --k 8 --extractor-concurrency 1
 *   npm run bench -- --mode both --layout group --k 8 --repeat 3   (embedded and distributed alternate; median ratio)
 *   npm run bench -- --mode embedded --k 16 --repeat 3   (plain decode and scan alternate; median ratio)
 *   npm run bench -- --mode embedded --quality-baseline /tmp/reports-of-main
 *   npm run bench -- --mode embedded --k 16 --video ~/phone-clip.mp4   (copies of your own video instead of the sample)
 *   npm run bench -- --mode temporal [--clips 4x61]   (LRNet's clips and landmarks on its demo videos: temporal-bench.ts)
 *   npm run bench -- --mode models   (each crop detector's CPU time per crop at each graph optimisation level: models-bench.ts)
 *
 * DEEPSIFT_* variables in the environment reach the scanned CLI unchanged (try
 * DEEPSIFT_INTRA_OP_THREADS=1 npm run bench).
 */
import { existsSync } from 'node:fs';
import { link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { executionPaths } from './execution-paths';
import { describeGpuUsage, startGpuMonitor, type GpuUsage } from './gpu-monitor';
import { printDistributedDetails, runDistributed, s3BytesPerVideo, type DistributedResult, type Layout } from './distributed-bench';
import { loadAverage, machineInfo, runMeasured, runPool, type Measured } from './measure';
import { median, scanRatioMedians } from './median-ratios';
import { printTable, seconds } from './print-table';
import { compareQuality } from './quality-comparison';
import { runModelsBench } from './models-bench';
import { runTemporalBench } from './temporal-bench';
import { describeVideo, makeBenchDir, makeSampleCopies, repoRoot, SAMPLE_VIDEO, sharedDir } from './sample-copies';

/** K values of `--mode embedded` when `--k` is not given: memory must not grow from the first to the second. */
export const DEFAULT_K_VALUES = [4, 16];
/** K of `--mode distributed|both` when `--k` is not given: the whole run stays under about ten minutes on 2 cores. */
export const DEFAULT_DISTRIBUTED_K_VALUES = [8];

const MODES = ['embedded', 'distributed', 'both', 'temporal', 'models'] as const;
type Mode = (typeof MODES)[number];

/** The stages whose per-video `timings` the reports carry. */
const STAGES = ['frame-extractor', 'face-cropper', 'detector-workers'] as const;

interface BenchArgs {
  mode: Mode;
  kValues: number[];
  keep: boolean;
  /** `DEEPSIFT_VIDEO_CONCURRENCY` of the distributed frame-extractor worker only. */
  extractorConcurrency: number | undefined;
  /** Distributed layouts to run: the decode group (default deployment) and/or one process per stage. */
  layouts: Layout[];
  /** Reports of an earlier build over the sample video and ../shared/eval, to compare this build's with. */
  qualityBaseline: string | undefined;
  /** The video the K copies are made of; the shared sample when not given. */
  video: string | undefined;
  /** `--mode temporal`: clips per video and frames per clip. */
  clips: { count: number; frames: number } | undefined;
  /** Runs of each K: plain decode and scan, and embedded and distributed, alternate, so that each pair meets the same load. */
  repeat: number;
}

/** One row of the results table. */
interface BenchRow {
  k: number;
  decodeSequential: { wallMs: number; cpuMs: number | undefined };
  decodeTwoAtATime: { wallMs: number; cpuMs: number | undefined };
  scan: Measured;
  /** From start to the first "Video submitted." log line: node start-up, model loading, first hash. */
  startupMs: number | undefined;
  busyMs: Record<(typeof STAGES)[number], number>;
  failed: number;
  /** Where each model and the decoding ran, from the scan's log. */
  paths: string[];
  /** nvidia-smi's samples over the scan, or why there were none. */
  gpu: GpuUsage[] | string;
}

function parseArgs(argv: string[]): BenchArgs {
  const args: Omit<BenchArgs, 'kValues'> & { kValues?: number[] } = { mode: 'both', keep: false, extractorConcurrency: undefined, layouts: ['group', 'split'], qualityBaseline: undefined, video: undefined, clips: undefined, repeat: 1 };
  const value = (i: number, arg: string, name: string): [string, number] =>
    arg === name ? [argv[i + 1] ?? '', i + 1] : [arg.slice(name.length + 1), i];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = arg.split('=')[0]!;
    if (arg === '--keep') args.keep = true;
    else if (flag === '--layout') {
      const [raw, next] = value(i, arg, '--layout');
      if (!['group', 'split', 'both'].includes(raw)) throw new Error(`--layout: expected group|split|both, got "${raw}"`);
      args.layouts = raw === 'both' ? ['group', 'split'] : [raw as Layout];
      i = next;
    } else if (flag === '--quality-baseline') {
      const [raw, next] = value(i, arg, '--quality-baseline');
      if (raw === '') throw new Error('--quality-baseline: expected a folder of reports');
      args.qualityBaseline = path.resolve(raw);
      i = next;
    } else if (flag === '--video') {
      const [raw, next] = value(i, arg, '--video');
      if (raw === '') throw new Error('--video: expected a video file');
      args.video = path.resolve(raw);
      i = next;
    } else if (flag === '--k') {
      const [raw, next] = value(i, arg, '--k');
      i = next;
      args.kValues = raw.split(',').map(Number);
      if (args.kValues.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`--k: expected positive integers like 4,16, got "${raw}"`);
    } else if (flag === '--mode') {
      const [raw, next] = value(i, arg, '--mode');
      i = next;
      if (!(MODES as readonly string[]).includes(raw)) throw new Error(`--mode: expected ${MODES.join('|')}, got "${raw}"`);
      args.mode = raw as Mode;
    } else if (flag === '--clips') {
      const [raw, next] = value(i, arg, '--clips');
      i = next;
      const [count, frames] = raw.split('x').map(Number);
      if (!Number.isInteger(count) || !Number.isInteger(frames) || count! < 1 || frames! < 31) throw new Error(`--clips: expected COUNTxFRAMES like 4x61 (at least 31 frames), got "${raw}"`);
      args.clips = { count: count!, frames: frames! };
    } else if (flag === '--repeat') {
      const [raw, next] = value(i, arg, '--repeat');
      i = next;
      args.repeat = Number(raw);
      if (!Number.isInteger(args.repeat) || args.repeat < 1) throw new Error(`--repeat: expected a positive integer, got "${raw}"`);
    } else if (flag === '--extractor-concurrency') {
      const [raw, next] = value(i, arg, '--extractor-concurrency');
      i = next;
      args.extractorConcurrency = Number(raw);
      if (!Number.isInteger(args.extractorConcurrency) || args.extractorConcurrency < 1) throw new Error(`--extractor-concurrency: expected a positive integer, got "${raw}"`);
    } else throw new Error(`unknown argument ${arg} (expected --mode embedded|distributed|both|temporal|models, --layout group|split|both, --k 4,16, --extractor-concurrency N, --quality-baseline DIR, --clips 4x61, --repeat N, --keep)`);
  }
  return { ...args, kValues: args.kValues ?? (args.mode === 'embedded' ? DEFAULT_K_VALUES : DEFAULT_DISTRIBUTED_K_VALUES) };
}

/** Plain decode of each file, `parallel` ffmpeg processes at a time. */
function plainDecode(files: string[], parallel: number) {
  return runPool(files.map((file) => () => runMeasured('ffmpeg', ['-hide_banner', '-v', 'error', '-i', file, '-f', 'null', '-'])), parallel);
}

/** Runs `deepsift scan DIR --quiet --json` as a child process and reads the figures off its output. */
async function scan(dir: string, outDir: string, k: number): Promise<Omit<BenchRow, 'k' | 'decodeSequential' | 'decodeTwoAtATime'>> {
  const shared = sharedDir();
  const env = {
    ...process.env,
    // Info level only to see when the first video is submitted; a handful of lines per video.
    DEEPSIFT_LOG_LEVEL: process.env.DEEPSIFT_LOG_LEVEL ?? 'info',
    DEEPSIFT_WEIGHTS_MIRROR: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(shared, 'weights'),
  };
  const cli = path.join(repoRoot(), 'bin', 'deepsift.js');
  const monitor = await startGpuMonitor();
  const scan = await runMeasured(process.execPath, [cli, 'scan', dir, '-o', outDir, '--quiet', '--json'], env);
  const gpu = 'stop' in monitor ? await monitor.stop() : monitor.unavailable;
  if (scan.exitCode !== 0) throw new Error(`scan exited with ${scan.exitCode}:\n${scan.stderr.slice(-4000)}`);
  const reports = JSON.parse(scan.stdout) as Array<{ status: string; timings: Partial<Record<string, number>> }>;
  if (reports.length !== k) throw new Error(`expected ${k} reports, got ${reports.length}`);
  const busyMs = Object.fromEntries(STAGES.map((s) => [s, reports.reduce((sum, r) => sum + (r.timings[s] ?? 0), 0)])) as BenchRow['busyMs'];
  return { scan, startupMs: firstSubmittedMs(scan), busyMs, failed: reports.filter((r) => r.status !== 'done').length, paths: executionPaths(scan.stderr), gpu };
}

function firstSubmittedMs(scan: Measured): number | undefined {
  for (const line of scan.stderr.split('\n')) {
    if (!line.includes('"Video submitted."')) continue;
    const timestamp = Date.parse((JSON.parse(line) as { timestamp?: string }).timestamp ?? '');
    return Number.isFinite(timestamp) ? timestamp - scan.startedAt : undefined;
  }
  return undefined;
}

async function benchK(k: number, copies: string[], root: string): Promise<BenchRow> {
  // Hard links: the scan walks a folder of exactly K regular files, without copying bytes again.
  const dir = path.join(root, 'videos');
  await mkdir(dir, { recursive: true });
  const files = await Promise.all(copies.slice(0, k).map(async (c) => {
    const target = path.join(dir, path.basename(c));
    await link(c, target);
    return target;
  }));
  log(`K=${k}: plain decode, one at a time...`);
  const decodeSequential = await plainDecode(files, 1);
  log(`K=${k}: plain decode, two at a time...`);
  const decodeTwoAtATime = await plainDecode(files, 2);
  log(`K=${k}: scan...`);
  const scanned = await scan(dir, path.join(root, 'reports'), k);
  return { k, decodeSequential, decodeTwoAtATime, ...scanned };
}

function printResults(rows: BenchRow[]): void {
  const s = seconds;
  const table: string[][] = [[
    'K', 'decode 1x s', 'decode 2x s', 'plain s', 'scan s', 'ratio', 'start-up s', 'ratio w/o start-up',
    'videos/min', 'videos/hour', 'extract busy s', 'faces busy s', 'detect busy s', 'peak RSS MiB', 'scan CPU s', 'plain CPU s',
  ]];
  for (const r of rows) {
    const { plain, twoBetter } = plainDecodeOf(r);
    const scanMs = r.scan.wallMs;
    const steady = r.startupMs === undefined ? undefined : scanMs - r.startupMs;
    table.push([
      String(r.k), s(r.decodeSequential.wallMs), s(r.decodeTwoAtATime.wallMs), `${s(plain.wallMs)} (${twoBetter ? '2x' : '1x'})`,
      s(scanMs), (scanMs / plain.wallMs).toFixed(2), s(r.startupMs), steady === undefined ? '-' : (steady / plain.wallMs).toFixed(2),
      ((r.k * 60_000) / scanMs).toFixed(1), ((r.k * 3_600_000) / scanMs).toFixed(0), s(r.busyMs['frame-extractor']), s(r.busyMs['face-cropper']), s(r.busyMs['detector-workers']),
      (r.scan.peakRssKiB / 1024).toFixed(0), s(r.scan.cpuMs), s(plain.cpuMs),
    ]);
    if (r.failed > 0) log(`warning: K=${r.k}: ${r.failed} report(s) failed`);
  }
  printTable(table);
  console.log([
    '',
    'plain: the better of decode 1x (one ffmpeg at a time) and 2x (two at a time). ratio = scan s / plain s.',
    'start-up: scan start to the first "Video submitted." log (node, model loading). Busy: per-video stage ms summed',
    '(frame-extractor runs videos concurrently and counts waits; detect sums both detectors). Peak RSS: largest process.',
  ].join('\n'));
  const medians = scanRatioMedians(rows.map((r) => ({ k: r.k, scanMs: r.scan.wallMs, plainMs: plainDecodeOf(r).plain.wallMs, startupMs: r.startupMs })));
  if (medians.length > 0) console.log(['', ...medians].join('\n'));
  for (const r of rows) {
    console.log(`K=${r.k}: ran on ${r.paths.join('; ') || 'unknown (no info log)'}`);
    console.log(typeof r.gpu === 'string' ? `K=${r.k}: GPU: none sampled, ${r.gpu}` : describeGpuUsage(r.gpu).map((line) => `K=${r.k}: ${line}`).join('\n'));
  }
}

/** The plain decode a row's scan is compared with: the faster of one and two ffmpeg at a time. */
function plainDecodeOf(r: BenchRow): { plain: BenchRow['decodeSequential']; twoBetter: boolean } {
  const twoBetter = r.decodeTwoAtATime.wallMs < r.decodeSequential.wallMs;
  return { plain: twoBetter ? r.decodeTwoAtATime : r.decodeSequential, twoBetter };
}

/** One K of the comparison: the embedded scan and the distributed run over the same videos, with the load around each. */
interface Comparison {
  k: number;
  embedded?: { row: BenchRow; load: string };
  distributed: Array<{ result: DistributedResult; load: string }>;
}

/** The table the issue asks for: videos per minute in each mode, their ratio, broker traffic per video. */
function printComparison(comparisons: Comparison[]): void {
  const perMinute = (k: number, ms: number): number => (k * 60_000) / ms;
  const table: string[][] = [[
    'mode', 'K', 'seconds', 'videos/min', 'ratio dist/emb', 'msgs/video', 'broker KiB/video', 'max msg KiB', 'S3 MiB/video (video + intermediate)',
    'peak RSS MiB', 'CPU s', 'load 1/5/15 after',
  ]];
  for (const { k, embedded, distributed } of comparisons) {
    if (embedded) {
      const { scan, startupMs } = embedded.row;
      table.push(['embedded', String(k), seconds(scan.wallMs), perMinute(k, scan.wallMs).toFixed(1), '', '-', '-', '-', '-',
        (scan.peakRssKiB / 1024).toFixed(0), seconds(scan.cpuMs), embedded.load]);
      if (startupMs !== undefined) {
        const steadyMs = scan.wallMs - startupMs;
        table.push(['  w/o start-up', String(k), seconds(steadyMs), perMinute(k, steadyMs).toFixed(1), '', '', '', '', '', '', '', '']);
      }
    }
    for (const run of distributed) {
      const r = run.result;
      const ratio = (ms: number | undefined) => (ms === undefined ? '-' : (perMinute(k, r.wallMs) / perMinute(k, ms)).toFixed(2));
      const steady = embedded?.row.startupMs === undefined ? undefined : embedded.row.scan.wallMs - embedded.row.startupMs;
      const workers = Object.values(r.peakRssKiB).reduce((a, b) => a + b, 0);
      const workerCpu = Object.entries(r.cpuMs).filter(([name]) => name !== 'rabbitmq').reduce((a, [, ms]) => a + ms, 0);
      table.push([
        `distributed (${r.layout === 'group' ? 'decode group' : 'split, frames encoded'})`, String(k), seconds(r.wallMs), perMinute(k, r.wallMs).toFixed(1),
        embedded ? `${ratio(embedded.row.scan.wallMs)} (${ratio(steady)} w/o)` : '-',
        (r.traffic.messages / k).toFixed(1), (r.traffic.bytes / 1024 / k).toFixed(1), (r.traffic.maxBytes / 1024).toFixed(1),
        s3Column(r),
        `${(workers / 1024).toFixed(0)} (sum)`, `${seconds(workerCpu)} (+${seconds(r.cpuMs['rabbitmq'])} broker)`, run.load,
      ]);
    }
  }
  printTable(table);
  console.log([
    '',
    'embedded: `deepsift scan` wall time, model loading included (w/o start-up: from the first "Video submitted.").',
    'distributed: first upload to incoming/ until the last report is announced (then checked in reports/); worker start-up is NOT timed.',
    'ratio = distributed videos/min / embedded videos/min (in brackets: against embedded w/o start-up).',
    'broker: bodies of every message published to the pipeline, dead, results and s3-events exchanges (retries: see details).',
    'peak RSS: embedded = largest process (GNU time); distributed = VmHWM of the 5 workers summed. CPU: embedded = scan',
    'and children (GNU time); distributed = workers, their ffmpeg children and the S3 server over the timed part, + the broker.',
    'S3 MiB/video: bytes the S3 server read and wrote (sockets and files) per video: the video\'s own (upload, ingest\'s hashing read,',
    'the extractor\'s download) + the intermediate data (frames, crops, state). Each byte stored and read once counts four times.',
    'decode group: frame-extractor,face-cropper in one process (the default deployment); split: one process per stage.',
  ].join('\n'));
}

/**
 * With `--repeat`: each layout's ratio to the embedded run just before it, over the runs of
 * each K, and their median. One run on a shared machine says little; the median of runs that
 * alternate with the embedded scan says how the layouts compare under the same load.
 */
function printMedianRatios(comparisons: Comparison[]): void {
  const ratios = new Map<string, number[]>();
  for (const { k, embedded, distributed } of comparisons) {
    if (!embedded) continue;
    for (const { result } of distributed) {
      const key = `K=${k} ${result.layout === 'group' ? 'decode group' : 'split, frames encoded'}`;
      ratios.set(key, [...(ratios.get(key) ?? []), embedded.row.scan.wallMs / result.wallMs]);
    }
  }
  console.log('');
  for (const [key, values] of ratios) {
    console.log(`${key}: ratio dist/emb over ${values.length} alternating runs: ${values.map((v) => v.toFixed(2)).join(', ')}; median ${median(values)!.toFixed(2)}`);
  }
}

/** S3 MiB per video, total (the video's own + intermediate). */
function s3Column(r: DistributedResult): string {
  const { ownBytes, intermediateBytes } = s3BytesPerVideo(r);
  const mib = (bytes: number): string => (bytes / 1024 ** 2).toFixed(1);
  return `${mib(ownBytes + intermediateBytes)} (${mib(ownBytes)} + ${mib(intermediateBytes)})`;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cli = path.join(repoRoot(), 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (npm run bench does)`);
  const settings = Object.entries(process.env).filter(([name]) => name.startsWith('DEEPSIFT_')).map(([n, v]) => `${n}=${v}`);
  console.log(machineInfo().join('\n'));
  console.log(`settings: ${settings.length > 0 ? settings.join(' ') : 'defaults'}`);
  console.log(`load average before: ${loadAverage()}`);
  if (args.mode === 'temporal') {
    await runTemporalBench(args.clips?.count, args.clips?.frames);
    return;
  }
  if (args.mode === 'models') {
    await runModelsBench();
    return;
  }

  const root = await makeBenchDir();
  try {
    const source = args.video ?? path.join(sharedDir(), SAMPLE_VIDEO);
    console.log(`video: ${source} (${describeVideo(source)}), K copies of it`);
    log(`making ${Math.max(...args.kValues)} copies of ${source} in ${root}...`);
    const copiesDir = path.join(root, 'copies');
    await mkdir(copiesDir);
    const copies = await makeSampleCopies(source, Math.max(...args.kValues), copiesDir);
    const rows: BenchRow[] = [];
    const comparisons: Comparison[] = [];
    const runs = args.kValues.flatMap((k) => Array.from({ length: args.repeat }, () => k));
    for (const [run, k] of runs.entries()) {
      const comparison: Comparison = { k, distributed: [] };
      if (args.mode !== 'distributed') {
        const row = await benchK(k, copies, path.join(root, `run-${run}`));
        rows.push(row);
        comparison.embedded = { row, load: loadAverage() };
      }
      if (args.mode !== 'embedded') {
        for (const layout of args.layouts) {
          log(`K=${k}: distributed, ${layout} layout...`);
          const result = await runDistributed(copies.slice(0, k), { extractorConcurrency: args.extractorConcurrency, layout }, log);
          comparison.distributed.push({ result, load: loadAverage() });
        }
      }
      comparisons.push(comparison);
    }
    console.log(`load average after: ${loadAverage()}`);
    if (rows.length > 0) {
      console.log('');
      printResults(rows);
    }
    for (const { distributed } of comparisons) {
      for (const run of distributed) {
        console.log('');
        printDistributedDetails(run.result);
      }
    }
    if (args.qualityBaseline !== undefined) await compareQuality(args.qualityBaseline, path.join(root, 'quality-reports'), log);
    if (args.mode !== 'embedded') {
      console.log('');
      if (args.extractorConcurrency !== undefined) console.log(`frame-extractor worker: DEEPSIFT_VIDEO_CONCURRENCY=${args.extractorConcurrency}`);
      printComparison(comparisons);
      if (args.repeat > 1) printMedianRatios(comparisons);
    }
  } finally {
    if (args.keep) log(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
