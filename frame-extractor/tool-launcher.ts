/**
 * Starts ffmpeg and ffprobe from a small helper Node process instead of this one. In this VM
 * (Firecracker) every page a process writes after it fork()s faults again: a scan process
 * holding hundreds of MB of frame buffers paid about 1 CPU-s per video for the two spawns
 * (README, issue 11). The helper forks instead. Each of a tool's outputs is a Unix-socket
 * connection of its own from this process to the helper, which hands it to the tool as that
 * output: the tool writes straight to this process (an earlier version relayed every byte
 * through the helper, about 0.2 CPU-s per video). This process makes the connections so
 * that it can read raw frames straight into their buffers (`onread`, a {@link DirectReader}):
 * reading them as chunks and copying cost 0.1–0.17 CPU-s more per 1080p video. The IPC channel
 * carries only control messages (ready, launch, kill, exit status, spawn errors), never a
 * descriptor: passing pipe handles over IPC lost one launch in twenty.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { RelayedOutput } from './relayed-output';
import { TOOL_LAUNCHER_SCRIPT } from './tool-launcher-script';
import type { DirectReader, ToolLauncher, ToolProcess } from './tool-process';

/** Names the helper's socket folder (in the temporary folder), and so the helper's command line. */
export const TOOL_LAUNCHER_SOCKET_PREFIX = 'deepsift-tool-launcher-';

/**
 * The launcher for a `toolLauncher` setting: a started {@link HelperToolLauncher}, or
 * undefined (tools are spawned directly) when it is 'off' or on Windows.
 */
export function createToolLauncher(setting: 'helper' | 'off'): HelperToolLauncher | undefined {
  return setting === 'off' || process.platform === 'win32' ? undefined : HelperToolLauncher.start();
}

/** Heap limit of the helper process, MB: it holds only a few stream buffers per tool. */
export const HELPER_MAX_OLD_SPACE_MB = 32;

/** How long `close` waits for the helper to end its tools and exit before it SIGKILLs it. */
export const HELPER_CLOSE_GRACE_MS = 5000;

/** The helper process failed or went away while a tool was starting or running. */
export class ToolLauncherError extends Error {
  override readonly name = 'ToolLauncherError';
  readonly code = 'TOOL_LAUNCHER_FAILED';
}

type HelperMessage =
  | { type: 'ready' }
  | { type: 'launched'; id: number; pid: number }
  | { type: 'error'; id: number; error: { code?: string; message: string; syscall?: string; path?: string } }
  | { type: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** A running helper process and the socket it listens on. */
interface Helper {
  readonly process: ChildProcess;
  readonly socketPath: string;
  /** Settles once the helper listens; never, if it dies first (its exit fails its tools). */
  readonly ready: Promise<void>;
}

/** A tool started by the helper process; its outputs are connections this process made to the helper. */
class HelperToolProcess extends EventEmitter implements ToolProcess {
  readonly outputs: Map<number, RelayedOutput>;
  readonly directOutputs: ReadonlySet<number>;
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  private exited = false;
  private closed = false;
  private openOutputs: number;

  constructor(
    readonly id: number,
    /** The helper that runs it; undefined for a launch refused by a closed launcher. */
    readonly helper: Helper | undefined,
    extraOutputs: number,
    private readonly directReaders: ReadonlyMap<number, DirectReader>,
    private readonly onKill: (tool: HelperToolProcess) => void,
    private readonly onClose: (tool: HelperToolProcess) => void,
  ) {
    super();
    const fds = [1, 2, ...Array.from({ length: extraOutputs }, (_, i) => 3 + i)];
    this.outputs = new Map(fds.map((fd) => [fd, new RelayedOutput()]));
    this.directOutputs = new Set(fds.filter((fd) => directReaders.has(fd)));
    this.openOutputs = fds.length;
    for (const output of this.outputs.values()) {
      let done = false;
      const end = (): void => {
        if (done) return;
        done = true;
        this.openOutputs -= 1;
        this.maybeClose();
      };
      output.once('end', end);
      output.once('close', end);
    }
  }

  get stdout(): RelayedOutput {
    return this.outputs.get(1)!;
  }

  get stderr(): RelayedOutput {
    return this.outputs.get(2)!;
  }

  get extraOutputs(): RelayedOutput[] {
    return [...this.outputs.entries()].filter(([fd]) => fd >= 3).map(([, output]) => output);
  }

  get fds(): number[] {
    return [...this.outputs.keys()];
  }

  kill(): void {
    if (!this.exited) this.onKill(this);
  }

  /**
   * Connects each output to the helper, which starts the tool once all are connected; a
   * direct output reads into its reader's buffers. `track` learns of every connection.
   */
  connect(socketPath: string, track: (socket: net.Socket) => void): void {
    if (this.exited) return;
    for (const [fd, output] of this.outputs) {
      const reader = this.directReaders.get(fd);
      const onread = reader && { buffer: () => reader.buffer(), callback: (bytes: number) => reader.received(bytes) };
      const socket = net.connect({ path: socketPath, onread });
      track(socket);
      let connected = false;
      socket.once('connect', () => {
        connected = true;
        reader?.connected(() => socket.resume());
      });
      socket.on('error', (error) => {
        socket.destroy();
        if (connected) return;
        this.kill();
        this.fail(new ToolLauncherError(`Cannot connect to the tool launcher's helper process: ${error.message}`));
      });
      socket.write(`${this.id} ${fd}\n`);
      output.attach(socket, reader !== undefined);
    }
  }

  /** The helper's report of the tool's end; outputs never connected end now, the others with their connection. */
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.finish();
  }

  /** The tool could not be started, or the helper failed: 'error', then 'close' once the outputs end. */
  fail(error: Error): void {
    if (this.exited) return;
    this.emit('error', error);
    this.finish();
  }

  private finish(): void {
    this.exited = true;
    for (const output of this.outputs.values()) {
      output.endWithoutSocket();
      // Like ChildProcess: an output nobody reads must not keep 'close' from coming.
      if (output.readableFlowing === null) output.resume();
    }
    this.maybeClose();
  }

  private maybeClose(): void {
    if (!this.exited || this.openOutputs > 0 || this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.emit('close', this.exitCode, this.signalCode);
  }
}

/**
 * {@link ToolLauncher} through one helper process, started on the first launch (or by
 * `start`) and again after it died. The helper does not keep this process alive, exits when
 * this process goes away, and is ended and waited for by `close`, so that the CPU time of
 * its tools is counted in this process's children.
 */
export class HelperToolLauncher implements ToolLauncher {
  private readonly launches = new Map<number, HelperToolProcess>();
  private readonly sockets = new Set<net.Socket>();
  private nextId = 1;
  private helpersStarted = 0;
  private helper: Helper | undefined;
  private socketDir: string | undefined;
  private closing: Promise<void> | undefined;
  private readonly removeSocketDir = (): void => {
    if (this.socketDir !== undefined) rmSync(this.socketDir, { recursive: true, force: true });
  };

  /** A launcher whose helper is already running: start it while this process is still small. */
  static start(): HelperToolLauncher {
    const launcher = new HelperToolLauncher();
    launcher.ensureHelper();
    return launcher;
  }

  /** The helper's pid, while it runs. */
  get helperPid(): number | undefined {
    return this.helper?.process.pid;
  }

  launch(executable: string, args: readonly string[], extraOutputs: number, directReaders: ReadonlyMap<number, DirectReader> = new Map()): ToolProcess {
    const helper = this.closing === undefined ? this.ensureHelper() : undefined;
    const id = this.nextId++;
    const onKill = (t: HelperToolProcess): void => {
      if (t.helper !== undefined) this.send(t.helper.process, { type: 'kill', id: t.id });
    };
    const tool = new HelperToolProcess(id, helper, extraOutputs, directReaders, onKill, (t) => {
      this.launches.delete(t.id);
      this.refreshRef();
    });
    if (helper === undefined) {
      process.nextTick(() => tool.fail(new ToolLauncherError(`Cannot start ${executable}: the tool launcher is closed.`)));
      return tool;
    }
    this.launches.set(id, tool);
    this.refreshRef();
    this.send(helper.process, { type: 'launch', id, executable, args: [...args], fds: tool.fds });
    void helper.ready.then(() => tool.connect(helper.socketPath, (socket) => this.track(socket)));
    return tool;
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const helper = this.helper?.process;
    if (helper !== undefined && helper.exitCode === null && helper.signalCode === null) {
      const exited = new Promise<void>((resolve) => helper.once('exit', () => resolve()));
      // The helper kills its tools' groups and exits; connections this side no longer reads must not hold it.
      if (helper.connected) helper.disconnect();
      for (const socket of this.sockets) socket.destroy();
      const timer = setTimeout(() => helper.kill('SIGKILL'), HELPER_CLOSE_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    for (const socket of this.sockets) socket.destroy();
    this.removeSocketDir();
    process.off('exit', this.removeSocketDir);
  }

  /** Where the next helper listens: a folder of our own (mode 0700), so that no other user can connect. */
  private nextSocketPath(): string {
    if (this.socketDir === undefined) {
      this.socketDir = mkdtempSync(path.join(os.tmpdir(), TOOL_LAUNCHER_SOCKET_PREFIX));
      process.once('exit', this.removeSocketDir);
    }
    this.helpersStarted += 1;
    return path.join(this.socketDir, `helper-${this.helpersStarted}.sock`);
  }

  private ensureHelper(): Helper {
    if (this.helper !== undefined) return this.helper;
    const socketPath = this.nextSocketPath();
    // NODE_OPTIONS could load modules (a test runner's hooks) into the helper; it needs none.
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    const child = spawn(process.execPath, [`--max-old-space-size=${HELPER_MAX_OLD_SPACE_MB}`, '-e', TOOL_LAUNCHER_SCRIPT, socketPath], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env,
      windowsHide: true,
    });
    let listening!: () => void;
    const helper: Helper = { process: child, socketPath, ready: new Promise<void>((resolve) => (listening = resolve)) };
    child.on('message', (message: HelperMessage) => {
      if (message.type === 'ready') listening();
      else this.onMessage(message);
    });
    child.once('error', () => this.onHelperGone(helper, 'could not be started'));
    child.once('exit', (code, signal) => this.onHelperGone(helper, `exited (${signal ?? `status ${code}`})`));
    child.unref();
    this.helper = helper;
    this.refreshRef();
    return helper;
  }

  private onMessage(message: Exclude<HelperMessage, { type: 'ready' }>): void {
    const tool = this.launches.get(message.id);
    if (tool === undefined) return;
    if (message.type === 'launched') tool.pid = message.pid;
    else if (message.type === 'exit') tool.exit(message.code, message.signal);
    else tool.fail(Object.assign(new Error(`spawn ${message.error.path ?? ''} ${message.error.code ?? ''}: ${message.error.message}`), message.error));
  }

  private onHelperGone(helper: Helper, how: string): void {
    if (this.helper === helper) this.helper = undefined;
    for (const tool of this.launches.values()) {
      if (tool.helper !== helper) continue;
      // Orphaned tools would run until their next write; end them now.
      if (tool.pid !== undefined) {
        try {
          process.kill(-tool.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      tool.fail(new ToolLauncherError(`The tool launcher's helper process ${how} while ${tool.pid === undefined ? 'starting' : 'running'} a tool.`));
    }
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private send(helper: ChildProcess, message: object): void {
    if (!helper.connected) return;
    // A helper that cannot be told is of no use: its exit fails what it was running.
    helper.send(message, (error) => {
      if (error) helper.kill('SIGKILL');
    });
  }

  /** The IPC channel keeps this process alive only while tools run. */
  private refreshRef(): void {
    const channel = this.helper?.process.channel;
    if (channel === undefined || channel === null) return;
    if (this.launches.size > 0) channel.ref();
    else channel.unref();
  }
}
