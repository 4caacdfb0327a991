/**
 * `npm run bench`: scans K remuxed copies of the sample video with the real CLI and, in the
 * same run, times plain `ffmpeg -i FILE -f null -` over the same files, then prints the
 * ratio scan time / plain-decode time, videos per minute, per-stage busy time and peak RSS.
 * A benchmark that prints figures, never a test: nothing here fails on a slow machine.
 *
 *   npm run bench -- --k 4,16 --keep
 *
 * DEEPSIFT_* variables in the environment reach the scanned CLI unchanged (try
 * DEEPSIFT_INTRA_OP_THREADS=1 npm run bench).
 */
import { existsSync } from 'node:fs';
import { link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadAverage, machineInfo, runMeasured, runPool, type Measured } from './measure';
import { makeBenchDir, makeSampleCopies, repoRoot, SAMPLE_VIDEO, sharedDir } from './sample-copies';

/** K values run when `--k` is not given: memory must not grow from the first to the second. */
export const DEFAULT_K_VALUES = [4, 16];

/** The stages whose per-video `timings` the reports carry. */
const STAGES = ['frame-extractor', 'face-cropper', 'detector-workers'] as const;

interface BenchArgs {
  kValues: number[];
  keep: boolean;
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
}

function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { kValues: DEFAULT_K_VALUES, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--keep') args.keep = true;
    else if (arg === '--k' || arg.startsWith('--k=')) {
      const raw = arg === '--k' ? argv[++i] ?? '' : arg.slice('--k='.length);
      args.kValues = raw.split(',').map(Number);
      if (args.kValues.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`--k: expected positive integers like 4,16, got "${raw}"`);
    } else throw new Error(`unknown argument ${arg} (expected --k 4,16 and/or --keep)`);
  }
  return args;
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
  const scan = await runMeasured(process.execPath, [cli, 'scan', dir, '-o', outDir, '--quiet', '--json'], env);
  if (scan.exitCode !== 0) throw new Error(`scan exited with ${scan.exitCode}:\n${scan.stderr.slice(-4000)}`);
  const reports = JSON.parse(scan.stdout) as Array<{ status: string; timings: Partial<Record<string, number>> }>;
  if (reports.length !== k) throw new Error(`expected ${k} reports, got ${reports.length}`);
  const busyMs = Object.fromEntries(STAGES.map((s) => [s, reports.reduce((sum, r) => sum + (r.timings[s] ?? 0), 0)])) as BenchRow['busyMs'];
  return { scan, startupMs: firstSubmittedMs(scan), busyMs, failed: reports.filter((r) => r.status !== 'done').length };
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
  const s = (ms: number | undefined): string => (ms === undefined ? '-' : (ms / 1000).toFixed(1));
  const table: string[][] = [[
    'K', 'decode 1x s', 'decode 2x s', 'plain s', 'scan s', 'ratio', 'start-up s', 'ratio w/o start-up',
    'videos/min', 'extract busy s', 'faces busy s', 'detect busy s', 'peak RSS MiB', 'scan CPU s', 'plain CPU s',
  ]];
  for (const r of rows) {
    const twoBetter = r.decodeTwoAtATime.wallMs < r.decodeSequential.wallMs;
    const plain = twoBetter ? r.decodeTwoAtATime : r.decodeSequential;
    const scanMs = r.scan.wallMs;
    const steady = r.startupMs === undefined ? undefined : scanMs - r.startupMs;
    table.push([
      String(r.k), s(r.decodeSequential.wallMs), s(r.decodeTwoAtATime.wallMs), `${s(plain.wallMs)} (${twoBetter ? '2x' : '1x'})`,
      s(scanMs), (scanMs / plain.wallMs).toFixed(2), s(r.startupMs), steady === undefined ? '-' : (steady / plain.wallMs).toFixed(2),
      ((r.k * 60_000) / scanMs).toFixed(1), s(r.busyMs['frame-extractor']), s(r.busyMs['face-cropper']), s(r.busyMs['detector-workers']),
      (r.scan.peakRssKiB / 1024).toFixed(0), s(r.scan.cpuMs), s(plain.cpuMs),
    ]);
    if (r.failed > 0) log(`warning: K=${r.k}: ${r.failed} report(s) failed`);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
  console.log([
    '',
    'plain: the better of decode 1x (one ffmpeg at a time) and 2x (two at a time). ratio = scan s / plain s.',
    'start-up: scan start to the first "Video submitted." log (node, model loading). Busy: per-video stage ms summed',
    '(frame-extractor runs videos concurrently and counts waits; detect sums both detectors). Peak RSS: largest process.',
  ].join('\n'));
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

  const root = await makeBenchDir();
  try {
    const source = path.join(sharedDir(), SAMPLE_VIDEO);
    log(`making ${Math.max(...args.kValues)} copies of ${source} in ${root}...`);
    const copiesDir = path.join(root, 'copies');
    await mkdir(copiesDir);
    const copies = await makeSampleCopies(source, Math.max(...args.kValues), copiesDir);
    const rows: BenchRow[] = [];
    for (const [run, k] of args.kValues.entries()) rows.push(await benchK(k, copies, path.join(root, `run-${run}`)));
    console.log(`load average after: ${loadAverage()}`);
    console.log('');
    printResults(rows);
  } finally {
    if (args.keep) log(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
