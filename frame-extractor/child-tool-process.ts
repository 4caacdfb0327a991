/** A tool started by this process with `child_process.spawn`: the direct path, and the only one on Windows. */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';

import type { ToolProcess } from './tool-process';

/** {@link ToolProcess} over a ChildProcess of this process. */
export class ChildToolProcess extends EventEmitter implements ToolProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly extraOutputs: readonly Readable[];
  /** Pipes of a ChildProcess are read only as streams. */
  readonly directOutputs: ReadonlySet<number> = new Set();

  private constructor(private readonly child: ChildProcess, extraOutputs: number) {
    super();
    this.stdout = child.stdout!;
    this.stderr = child.stderr!;
    this.extraOutputs = Array.from({ length: extraOutputs }, (_, i) => child.stdio[3 + i] as Readable);
    child.on('error', (error) => this.emit('error', error));
    child.on('close', (code, signal) => this.emit('close', code, signal));
  }

  /** Spawns `executable` with stdin closed, in a process group of its own (except on Windows). */
  static spawn(executable: string, args: readonly string[], extraOutputs: number): ChildToolProcess {
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe', ...Array.from({ length: extraOutputs }, () => 'pipe' as const)];
    const child = spawn(executable, args, { stdio, windowsHide: true, detached: process.platform !== 'win32' });
    return new ChildToolProcess(child, extraOutputs);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  get signalCode(): NodeJS.Signals | null {
    return this.child.signalCode;
  }

  kill(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      if (this.child.pid !== undefined && process.platform !== 'win32') process.kill(-this.child.pid, 'SIGKILL');
      else this.child.kill('SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }
}
