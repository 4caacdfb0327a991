/**
 * Timing child processes: wall time, CPU time and peak resident memory of a command,
 * and the machine facts a reader needs to judge the figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** GNU time reports the child's own getrusage figures; without it, only wall time and a polled VmHWM. */
const GNU_TIME = '/usr/bin/time';
const RSS_POLL_MS = 50;

/** What one finished command cost. */
export interface Measured {
  exitCode: number | null;
  wallMs: number;
  /** User + system CPU of the command and the children it waited for; undefined without GNU time. */
  cpuMs: number | undefined;
  /** Peak RSS of the largest single process (the command or one child), in KiB. */
  peakRssKiB: number;
  stdout: string;
  stderr: string;
  /** `Date.now()` when the command was started. */
  startedAt: number;
}

/** Runs `command args` to completion and measures it (under GNU time when present). */
export async function runMeasured(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  const timeFile = path.join(os.tmpdir(), `deepsift-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [exe, argv] = useTime ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, command, ...args]] : [command, args];
  const startedAt = Date.now();
  const start = performance.now();
  const child = spawn(exe, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  let polledKiB = 0;
  const poll = useTime ? undefined : setInterval(() => (polledKiB = Math.max(polledKiB, vmHwmKiB(child.pid))), RSS_POLL_MS);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const wallMs = performance.now() - start;
  if (poll) clearInterval(poll);
  let cpuMs: number | undefined;
  let peakRssKiB = polledKiB;
  if (useTime) {
    // The last line: GNU time may put "Command exited with non-zero status" first.
    const fields = (await readFile(timeFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
    await rm(timeFile, { force: true });
    cpuMs = ((fields[0] ?? 0) + (fields[1] ?? 0)) * 1000;
    peakRssKiB = fields[2] ?? 0;
  }
  return { exitCode, wallMs, cpuMs, peakRssKiB, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), startedAt };
}

function vmHwmKiB(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Runs `jobs` with at most `parallel` at once; resolves with the total wall time and summed CPU. */
export async function runPool(jobs: Array<() => Promise<Measured>>, parallel: number): Promise<{ wallMs: number; cpuMs: number | undefined; results: Measured[] }> {
  const start = performance.now();
  const results: Measured[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, lane));
  const cpus = results.map((r) => r.cpuMs);
  const cpuMs = cpus.every((c) => c !== undefined) ? cpus.reduce((a, b) => a! + b!, 0) : undefined;
  return { wallMs: performance.now() - start, cpuMs, results };
}

/** The 1-, 5- and 15-minute load averages, formatted. */
export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

/** Cores, CPU model, memory, node and ffmpeg versions, one fact per line. */
export function machineInfo(): string[] {
  const cpus = os.cpus();
  const ffmpeg = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'ffmpeg: not found';
  return [
    `cores: ${cpus.length} (available parallelism ${os.availableParallelism()}), CPU: ${cpus[0]?.model ?? 'unknown'}`,
    `memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, node ${process.version}, ${ffmpeg}`,
    `peak RSS and CPU from ${existsSync(GNU_TIME) ? 'GNU time (getrusage)' : 'polled /proc VmHWM (no CPU figures)'}`,
  ];
}
