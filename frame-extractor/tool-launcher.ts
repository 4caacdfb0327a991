/**
 * Starting ffmpeg and ffprobe from a small helper process instead of the scan's own. Node
 * starts a child with fork(), which marks every page of the parent copy-on-write; each page
 * the parent writes afterwards (frame buffers, the garbage collector's heap) then faults
 * once more. With hundreds of megabytes of frames in a `deepsift scan` process that is
 * seconds of CPU per video where a page fault is expensive (measured in a Firecracker VM: a
 * 600 MB process rewrites its memory in 0.13 s, or in 6.5 s after one fork). The helper is
 * tens of megabytes, so its forks cost nothing noticeable; it hands the tool's output pipes
 * back over the IPC channel, and the scan reads them as if it had started the tool itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';

/** The part of a started tool that the frame extractor uses; a `ChildProcess` is one. */
export interface ToolProcess {
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** stdin, stdout, stderr, then the extra output pipes (fd 3, ...). */
  readonly stdio: ReadonlyArray<unknown>;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  once(event: 'error', listener: (error: NodeJS.ErrnoException) => void): this;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  kill(signal?: NodeJS.Signals): boolean;
}

/** Starts tools with stdin closed, each as the leader of a process group of its own, with `extraPipes` more output pipes. */
export interface ToolLauncher {
  launch(executable: string, args: string[], extraPipes: number): Promise<ToolProcess>;
}

/** Starts tools from this process (`child_process.spawn`): what a process with little memory does. */
export const DIRECT_TOOL_LAUNCHER: ToolLauncher = {
  async launch(executable, args, extraPipes) {
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe', ...Array.from({ length: extraPipes }, () => 'pipe' as const)];
    return spawn(executable, args, { stdio, windowsHide: true, detached: process.platform !== 'win32' });
  },
};

/**
 * The helper's code, evaluated by `node -e` so that it runs the same from the TypeScript
 * sources (tests) and from dist/. It exits when the scan's process goes away.
 */
const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  const stdio = ['ignore', 'pipe', 'pipe', ...Array.from({ length: m.extraPipes }, () => 'pipe')];
  const child = spawn(m.executable, m.args, { stdio, detached: true });
  child.once('error', (error) => process.send({ id: m.id, kind: 'error', code: error.code, message: error.message }));
  child.once('spawn', () => {
    process.send({ id: m.id, kind: 'spawned', pid: child.pid, pipes: child.stdio.length - 1 });
    child.stdio.forEach((pipe, fd) => { if (pipe) process.send({ id: m.id, kind: 'pipe', fd }, pipe); });
  });
  child.once('exit', (code, signal) => process.send({ id: m.id, kind: 'exit', code, signal }));
});
`;

type HelperMessage =
  | { id: number; kind: 'spawned'; pid: number; pipes: number }
  | { id: number; kind: 'pipe'; fd: number }
  | { id: number; kind: 'error'; code?: string; message: string }
  | { id: number; kind: 'exit'; code: number | null; signal: NodeJS.Signals | null };

/** Starts tools from a small helper process (see the file's comment); one helper per launcher. */
export class HelperToolLauncher implements ToolLauncher {
  private readonly tools = new Map<number, RemoteTool>();
  private nextId = 0;
  private closed = false;

  private constructor(private readonly helper: ChildProcess) {
    helper.on('message', (message: HelperMessage, handle: unknown) => this.tools.get(message.id)?.accept(message, handle as Readable | undefined));
    helper.once('exit', () => {
      this.closed = true;
      for (const tool of this.tools.values()) tool.fail(new Error('the tool launcher process exited'));
      this.tools.clear();
    });
  }

  /** Starts the helper; best called early, while this process is still small. */
  static async start(): Promise<HelperToolLauncher> {
    const helper = spawn(process.execPath, ['-e', HELPER_SOURCE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], windowsHide: true });
    await new Promise<void>((resolve, reject) => {
      helper.once('spawn', resolve);
      helper.once('error', reject);
    });
    return new HelperToolLauncher(helper);
  }

  launch(executable: string, args: string[], extraPipes: number): Promise<ToolProcess> {
    if (this.closed) return Promise.reject(new Error('the tool launcher is closed'));
    const id = this.nextId++;
    const tool = new RemoteTool(extraPipes, () => this.tools.delete(id));
    this.tools.set(id, tool);
    this.helper.send({ id, executable, args, extraPipes });
    return tool.ready;
  }

  /**
   * Stops the helper and waits for it to exit (so that it and the tools it reaped count in
   * this process's children's CPU time); tools still running keep going until killed.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.helper.exitCode !== null || this.helper.signalCode !== null) return;
    const exited = new Promise((resolve) => this.helper.once('exit', resolve));
    if (this.helper.connected) this.helper.disconnect();
    await exited;
  }
}

/** A tool started by the helper: its pipes arrive one message each, then its exit. */
class RemoteTool extends EventEmitter implements ToolProcess {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdio: Array<Readable | null>;
  readonly ready: Promise<ToolProcess>;
  private resolveReady!: (tool: ToolProcess) => void;
  private rejectReady!: (error: Error) => void;
  private pipesExpected = 0;
  private pipesReceived = 0;
  private openPipes = 0;
  private exited = false;

  constructor(extraPipes: number, private readonly forget: () => void) {
    super();
    this.stdio = Array.from({ length: 3 + extraPipes }, () => null);
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
  }

  get stdout(): Readable | null {
    return this.stdio[1] ?? null;
  }

  get stderr(): Readable | null {
    return this.stdio[2] ?? null;
  }

  accept(message: HelperMessage, handle: Readable | undefined): void {
    switch (message.kind) {
      case 'spawned':
        this.pid = message.pid;
        this.pipesExpected = message.pipes;
        break;
      case 'pipe':
        if (handle === undefined) return;
        this.stdio[message.fd] = handle;
        this.pipesReceived += 1;
        this.openPipes += 1;
        handle.once('close', () => {
          this.openPipes -= 1;
          this.closeIfDone();
        });
        if (this.pipesReceived === this.pipesExpected) this.resolveReady(this);
        break;
      case 'error': {
        // As `spawn` reports a missing executable: an 'error' event with the errno code.
        const error: NodeJS.ErrnoException = Object.assign(new Error(message.message), { code: message.code });
        this.forget();
        this.rejectReady(error);
        break;
      }
      case 'exit':
        this.exitCode = message.code;
        this.signalCode = message.signal;
        this.exited = true;
        this.closeIfDone();
        break;
    }
  }

  fail(error: Error): void {
    this.rejectReady(error);
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.pid === undefined || this.exited) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** 'close' as a `ChildProcess` emits it: once the process has exited and its pipes are closed. */
  private closeIfDone(): void {
    if (!this.exited || this.openPipes > 0 || this.pipesReceived < this.pipesExpected) return;
    this.forget();
    this.emit('close', this.exitCode, this.signalCode);
  }
}
