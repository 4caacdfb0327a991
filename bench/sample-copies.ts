/**
 * The benchmark's inputs: K remuxed copies of the shared sample video, each with its own
 * bytes (a different `comment` tag) and the same content, so the scan hashes them as
 * K different videos but every copy costs the same to decode.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The sample every copy is made from, relative to the shared folder. */
export const SAMPLE_VIDEO = 'videos/interview_1080p.mp4';

/** The repository root: the nearest folder above this file that holds package.json (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** The shared folder (videos, weights): `DEEPSIFT_SHARED_DIR`, else `../shared` next to the repository. */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DEEPSIFT_SHARED_DIR ?? path.resolve(repoRoot(), '..', 'shared');
}

/** Makes a fresh temporary folder for one benchmark run. */
export function makeBenchDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'deepsift-bench-'));
}

/**
 * Writes `count` copies of `source` into `dir` as `copy-000.mp4`, … (the source's own
 * extension) with `ffmpeg -c copy -metadata comment=copy-N` (a remux: no re-encoding), and
 * returns their paths.
 */
export async function makeSampleCopies(source: string, count: number, dir: string): Promise<string[]> {
  if (!existsSync(source)) throw new Error(`video not found: ${source} (set DEEPSIFT_SHARED_DIR for the sample)`);
  const extension = path.extname(source) || '.mp4';
  const copies: string[] = [];
  for (let n = 0; n < count; n++) {
    const target = path.join(dir, `copy-${String(n).padStart(3, '0')}${extension}`);
    await ffmpeg(['-hide_banner', '-v', 'error', '-y', '-i', source, '-map', '0', '-c', 'copy', '-metadata', `comment=copy-${n}`, target]);
    copies.push(target);
  }
  return copies;
}

/** `1920x1080, 10.0 s, h264` for the bench's header: what one video of "videos/hour" is. */
export function describeVideo(file: string): string {
  const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,codec_name:format=duration', '-of', 'json', file], { encoding: 'utf8' });
  if (probe.status !== 0) return `unreadable by ffprobe (${probe.stderr?.trim() || probe.error?.message})`;
  const { streams, format } = JSON.parse(probe.stdout) as { streams: Array<{ width?: number; height?: number; codec_name?: string }>; format: { duration?: string } };
  const stream = streams[0];
  return `${stream?.width}x${stream?.height}, ${Number(format.duration).toFixed(1)} s, ${stream?.codec_name}`;
}

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(' ')} exited with ${code}: ${stderr}`))));
  });
}
