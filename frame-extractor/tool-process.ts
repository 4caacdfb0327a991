/**
 * The contract between the code that runs ffmpeg and ffprobe and the way they are started:
 * directly with `child_process.spawn` ({@link ChildToolProcess}) or through the tool
 * launcher's helper process ({@link HelperToolLauncher}), which spares a large process the
 * cost of forking.
 */
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';

/**
 * A running tool: its outputs and how it ended. Emits 'error' (the tool could not be
 * started, or the launcher failed; `code` ENOENT or EACCES for a missing executable) and
 * 'close' (code, signal) once it has exited and all its outputs have ended.
 */
export interface ToolProcess extends EventEmitter {
  /** fd 1. */
  readonly stdout: Readable;
  /** fd 2. */
  readonly stderr: Readable;
  /** fd 3, 4, ... (ffmpeg's `pipe:3`), as many as were asked for. */
  readonly extraOutputs: readonly Readable[];
  /** Undefined until the tool has started (and when it could not be). */
  readonly pid: number | undefined;
  /** The exit status once it has exited normally, else null. */
  readonly exitCode: number | null;
  /** The signal that ended it, else null. */
  readonly signalCode: NodeJS.Signals | null;
  /**
   * The fds whose bytes go to the {@link DirectReader} given for them at launch: their
   * Readable emits no data, only its end. Empty when the launcher cannot read directly.
   */
  readonly directOutputs: ReadonlySet<number>;
  /** SIGKILLs the tool's process group; does nothing once it has exited. */
  kill(): void;
}

/**
 * Takes one of a tool's outputs straight into buffers of its own: the bytes are read from
 * the socket into them, with no chunk allocated and no copy (for raw frames, 0.1–0.17 CPU-s
 * less per 1080p video; README, issue 11).
 */
export interface DirectReader {
  /** Where the next bytes go (asked for again after every read). */
  buffer(): Uint8Array;
  /** `bytes` were written at the start of the last buffer; false pauses reading until resumed. */
  received(bytes: number): boolean;
  /** The output is connected; `resume` restarts reading after `received` paused it. */
  connected(resume: () => void): void;
}

/** Starts tools; one per process, closed at shutdown. */
export interface ToolLauncher {
  /**
   * Starts `executable` with stdin closed, as the leader of a process group of its own, with
   * `extraOutputs` output pipes besides stdout and stderr. The outputs in `directReaders`
   * (by fd) go to their reader where the launcher can do that (see `directOutputs`).
   */
  launch(executable: string, args: readonly string[], extraOutputs: number, directReaders?: ReadonlyMap<number, DirectReader>): ToolProcess;
  /** Ends the tools still running and whatever runs them; idempotent. */
  close(): Promise<void>;
}
