/**
 * Where videos are decoded: on an NVIDIA GPU (`-hwaccel cuda`) when the configuration puts
 * CUDA first, this ffmpeg was built with it and a GPU device is there; on the CPU
 * otherwise. Decided once per process and logged with the reason, so an operator sees
 * which path runs.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The decoding path and why it was chosen. */
export interface DecodePath {
  hwaccel: 'cuda' | undefined;
  reason: string;
}

/** Chooses the decoding path for `ffmpegPath` given the execution providers in order of preference. */
export async function decodePath(ffmpegPath: string, executionProviders: readonly string[]): Promise<DecodePath> {
  if (executionProviders[0] !== 'cuda') return { hwaccel: undefined, reason: 'CPU: CUDA is not the first execution provider' };
  if (!existsSync('/dev/nvidia0') && !existsSync('/dev/nvidiactl')) return { hwaccel: undefined, reason: 'CPU: no NVIDIA device (/dev/nvidia0)' };
  try {
    const { stdout } = await execFileAsync(ffmpegPath, ['-hide_banner', '-hwaccels'], { timeout: 10_000 });
    if (!/^\s*cuda\s*$/m.test(stdout)) return { hwaccel: undefined, reason: `CPU: ${ffmpegPath} was built without CUDA (-hwaccels)` };
  } catch (error) {
    return { hwaccel: undefined, reason: `CPU: cannot ask ${ffmpegPath} for its hwaccels (${(error as Error).message})` };
  }
  return { hwaccel: 'cuda', reason: 'GPU: -hwaccel cuda (NVDEC)' };
}
