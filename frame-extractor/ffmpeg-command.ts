import * as path from 'node:path';

import { ChildToolProcess } from './child-tool-process';
import type { DirectReader, ToolLauncher, ToolProcess } from './tool-process';
import { VideoError } from './video-error';
import type { VideoLimits } from './video-limits';

/** Where the ffmpeg and ffprobe executables are (bare names are looked up on PATH), and how they are started. */
export interface FfmpegPaths {
  ffmpegPath: string;
  ffprobePath: string;
  /** Starts the tools (the helper process of tool-launcher.ts); this process spawns them itself when absent. */
  launcher?: ToolLauncher;
}

/** `ffmpeg` and `ffprobe` from PATH. */
export const DEFAULT_FFMPEG_PATHS: Readonly<FfmpegPaths> = Object.freeze({
  ffmpegPath: 'ffmpeg',
  ffprobePath: 'ffprobe',
});

/**
 * Demuxers that may open an input. Playlists and scripts (hls, concat, ...) are
 * left out because they open further files by name; the image demuxers are in
 * so that a photo is reported as STILL_IMAGE instead of NOT_A_VIDEO.
 */
const ALLOWED_DEMUXERS = [
  'mov', 'matroska', 'avi', 'flv', 'mpegts', 'mpeg', 'asf', 'ogg', 'mxf', 'dv', 'nut',
  'ivf', 'h264', 'hevc', 'm4v', 'yuv4mpegpipe', 'gif',
  'image2', 'jpeg_pipe', 'png_pipe', 'webp_pipe', 'bmp_pipe', 'tiff_pipe',
].join(',');

/**
 * The options that make ffmpeg or ffprobe open `filePath` as a local file and
 * nothing else: only the file protocol, a list of demuxers, bounded probing,
 * and a `file:` URL so that a name starting with `-` or holding `:` is not
 * read as an option or another protocol.
 */
export function safeInputArgs(filePath: string, limits: VideoLimits): string[] {
  return [
    '-protocol_whitelist', 'file',
    '-format_whitelist', ALLOWED_DEMUXERS,
    '-probesize', String(Math.max(32, Math.floor(limits.probeSizeBytes))),
    '-analyzeduration', String(Math.max(0, Math.floor(limits.analyzeDurationUs))),
    '-i', `file:${path.resolve(filePath)}`,
  ];
}

/**
 * Starts a tool with stdin closed, as the leader of a process group of its own, so that
 * `killTool` ends whatever it started too (a wrapper script's children): through `launcher`
 * when given, else from this process. A missing executable surfaces as a FFMPEG_NOT_FOUND
 * from {@link waitForExit}. `extraPipes` more output pipes are opened as fd 3, 4, ...
 * (ffmpeg's `pipe:3`); the outputs in `directReaders` go to their reader where the launcher
 * can do that (the tool's `directOutputs`).
 */
export function spawnTool(executable: string, args: string[], extraPipes = 0, launcher?: ToolLauncher, directReaders?: ReadonlyMap<number, DirectReader>): ToolProcess {
  return launcher !== undefined ? launcher.launch(executable, args, extraPipes, directReaders) : ChildToolProcess.spawn(executable, args, extraPipes);
}

/** How a tool process ended. */
export interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Resolves when the process has exited and its pipes are closed; rejects with
 * FFMPEG_NOT_FOUND when the executable could not be started.
 */
export function waitForExit(child: ToolProcess, executable: string): Promise<ToolExit> {
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        reject(new VideoError('FFMPEG_NOT_FOUND', `Cannot run ${executable}: ${error.code}. Install ffmpeg or set its path.`, { cause: error }));
      } else {
        reject(error);
      }
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
  });
}

/** Ends a child process that is still running, with its process group; safe to call more than once. */
export function killTool(child: ToolProcess): void {
  child.kill();
}

/**
 * Keeps the last lines of a tool's stderr for error messages and logs, so that
 * a chatty decoder on a long corrupt file cannot grow memory without bound.
 */
export class StderrTail {
  private readonly lines: string[] = [];

  constructor(private readonly maxLines = 20, private readonly maxLineChars = 500) {}

  push(line: string): void {
    if (line.trim() === '') return;
    this.lines.push(line.length > this.maxLineChars ? `${line.slice(0, this.maxLineChars)}…` : line);
    if (this.lines.length > this.maxLines) this.lines.shift();
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

/** Calls `onLine` for each complete line written to `stream`, and once for a last unterminated line. */
export function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.search(/[\r\n]/);
    while (newline >= 0) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.search(/[\r\n]/);
    }
    // A single line this long is garbage; keep its start for the error message.
    if (pending.length > 64 * 1024) {
      onLine(pending.slice(0, 1000));
      pending = '';
    }
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
  });
}
