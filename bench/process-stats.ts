/**
 * CPU time and peak memory of processes that are still running, read from /proc: what the
 * distributed benchmark needs for its long-lived workers (GNU time only measures commands
 * that exit). Linux only; elsewhere every figure reads 0.
 */
import { readdirSync, readFileSync } from 'node:fs';

import { TOOL_LAUNCHER_SOCKET_PREFIX } from '../frame-extractor/tool-launcher';

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`; 100 on every Linux we run on). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU of one process, in ms: its own user + system time and that of the children it waited for. */
export function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14–17, i.e. 11–14 after the state (field 3).
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU of a deepsift process in ms, with its tools: {@link cpuMsOf} plus that of its tool
 * launcher's helper, which is alive while the process runs, so that the ffmpeg and ffprobe
 * runs it waited for are not yet in this process's children's figures.
 */
export function cpuMsWithToolsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  return cpuMsOf(pid) + findPids(TOOL_LAUNCHER_SOCKET_PREFIX, pid).reduce((sum, helper) => sum + cpuMsOf(helper), 0);
}

/** Peak resident memory (VmHWM) of a running process, in KiB; 0 once it has exited. */
export function peakRssKiBOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Pids of the running processes whose command line contains `needle` (and whose parent is `parentPid`, when given). */
export function findPids(needle: string, parentPid?: number): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return pids;
  }
  for (const entry of entries) {
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!cmdline.includes(needle)) continue;
      if (parentPid !== undefined) {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== parentPid) continue;
      }
      pids.push(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return pids;
}

/** Bytes a process has read and written through system calls (files and sockets alike), from /proc/<pid>/io. */
export function ioBytesOf(pid: number | undefined): { readBytes: number; writtenBytes: number } {
  if (pid === undefined) return { readBytes: 0, writtenBytes: 0 };
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { readBytes: Number(/rchar:\s+(\d+)/.exec(io)?.[1] ?? 0), writtenBytes: Number(/wchar:\s+(\d+)/.exec(io)?.[1] ?? 0) };
  } catch {
    return { readBytes: 0, writtenBytes: 0 };
  }
}
