/**
 * Test helpers: builds small input files with ffmpeg in a temporary folder, so
 * that no video is ever committed.
 */
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root: the nearest folder above this file with deepsift's package.json (works from dist/test too). */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'deepsift') return dir;
    } catch {
      // Not here; look further up.
    }
    if (path.dirname(dir) === dir) throw new Error(`no deepsift package.json above ${__dirname}`);
  }
}

/** The shared data folder: `DEEPSIFT_SHARED_DIR`, else `../shared` next to the repository. */
export function sharedDir(): string {
  return process.env['DEEPSIFT_SHARED_DIR'] ?? path.resolve(repoRoot(), '..', 'shared');
}

/** A fresh temporary folder; remove it with `fs.rm(dir, { recursive: true })`. */
export function makeTempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'deepsift-test-'));
}

/** Runs ffmpeg with `args` and rejects with its stderr when it fails. */
export function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-nostdin', '-hide_banner', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(' ')} failed: ${stderr}`))));
  });
}

/** A constant-rate H.264 test pattern `width`×`height` of `frames` frames at `fps`. */
export async function makeTestClip(file: string, options: { width: number; height: number; frames: number; fps: number }): Promise<string> {
  const { width, height, frames, fps } = options;
  await runFfmpeg([
    '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${fps}`,
    '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file,
  ]);
  return file;
}

/**
 * A variable-rate clip of 60 frames: 20 at 10 fps, then 40 at 30 fps, so frame
 * `i` is shown at {@link variableRatePts}(i). MP4 stores the frame count; Matroska does not.
 */
export async function makeVariableRateClip(file: string): Promise<string> {
  await runFfmpeg([
    '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=30', '-frames:v', '60',
    '-vf', "setpts='if(lt(N,20),N/10,2+(N-20)/30)/TB'", '-fps_mode', 'passthrough',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file,
  ]);
  return file;
}

/** Presentation time of frame `i` of {@link makeVariableRateClip}, in seconds. */
export function variableRatePts(i: number): number {
  return i < 20 ? i / 10 : 2 + (i - 20) / 30;
}

/** Copies `source` with a display-matrix rotation (ffmpeg 5.1 has no `-display_rotation`; the legacy tag sets the matrix). */
export async function makeRotatedCopy(source: string, file: string, degrees: number): Promise<string> {
  await runFfmpeg(['-i', source, '-c', 'copy', '-metadata:s:v', `rotate=${degrees}`, file]);
  return file;
}

/**
 * A labelled test video built from one face crop of `../shared/faces`: the crop, scaled to
 * `faceSize` pixels, drifts slowly over a blurred, enlarged copy of itself (so the face
 * sits in a plausible surrounding), `seconds` long at 25 fps, H.264.
 */
export async function makeFaceVideo(face: string, file: string, options: { faceSize?: number; seconds?: number } = {}): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const faceSize = options.faceSize ?? 256;
  const seconds = options.seconds ?? 2;
  const width = 640;
  const height = 480;
  const x = `(${width}-${faceSize})/2+20*sin(2*PI*t/${seconds})`;
  const y = `(${height}-${faceSize})/2+10*cos(2*PI*t/${seconds})`;
  await runFfmpeg([
    '-loop', '1', '-framerate', '25', '-t', String(seconds), '-i', face,
    '-filter_complex',
    `[0:v]split[a][b];[a]scale=${width}:${height},boxblur=20[bg];[b]scale=${faceSize}:${faceSize}[fg];` +
      `[bg][fg]overlay=x='${x}':y='${y}',format=yuv420p[v]`,
    '-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', file,
  ]);
  return file;
}

/** ITU-T H.273 codes of colour primaries, transfer and YUV matrix, as H.264 headers give them. */
const COLOUR_TAGS = {
  bt709: { primaries: 1, transfer: 1, matrix: 1 },
  bt2020: { primaries: 9, transfer: 14, matrix: 9 },
};

/**
 * A copy of the H.264 video `file` whose headers say `colours` (limited range): the same
 * samples, which ffmpeg then turns into other RGB.
 */
export async function tagColours(file: string, out: string, colours: keyof typeof COLOUR_TAGS): Promise<string> {
  const { primaries, transfer, matrix } = COLOUR_TAGS[colours];
  const tags = `h264_metadata=colour_primaries=${primaries}:transfer_characteristics=${transfer}:matrix_coefficients=${matrix}:video_full_range_flag=0`;
  await runFfmpeg(['-i', file, '-c', 'copy', '-bsf:v', tags, out]);
  return out;
}

/**
 * Two videos side by side, each scaled to `width`×`height`, `seconds` long (H.264): a
 * video with two faces, one from each.
 */
export async function makeSideBySideVideo(left: string, right: string, file: string, options: { width: number; height: number; seconds: number }): Promise<string> {
  const { width, height, seconds } = options;
  await runFfmpeg([
    '-i', left, '-i', right,
    '-filter_complex', `[0:v]scale=${width}:${height}[a];[1:v]scale=${width}:${height}[b];[a][b]hstack=inputs=2:shortest=1,format=yuv420p[v]`,
    '-map', '[v]', '-an', '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', file,
  ]);
  return file;
}

/**
 * An H.264 copy of `source` whose non-reference frames (B-frames, three in four with
 * `-bf 3` and no B-pyramid) are damaged beyond decoding: every byte after their NAL header
 * is overwritten, as a failing disk or a broken upload would. A decoder that skips
 * non-reference frames (the sparse sample's `-skip_frame noref`) reads it whole; one that
 * decodes every frame (the dense clips) fails on most of them, and ffmpeg exits with 69
 * (more than `-max_error_rate`, 2/3, of the frames failed).
 */
export async function makeDamagedNonReferenceVideo(source: string, file: string, fps = 25): Promise<string> {
  const stream = `${file}.h264`;
  await runFfmpeg(['-i', source, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-b_strategy', '0', '-x264-params', 'b-pyramid=none', '-f', 'h264', stream]);
  const data = await fs.readFile(stream);
  const starts: number[] = [];
  for (let i = 0; i + 2 < data.length; i += 1) if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) starts.push(i + 3);
  for (const [index, header] of starts.entries()) {
    const end = index + 1 < starts.length ? starts[index + 1]! - 3 : data.length;
    const nalType = data[header]! & 0x1f;
    const nalRefIdc = (data[header]! >> 5) & 3;
    // 0xff never forms a start code, so the stream's framing stays intact.
    if (nalType === 1 && nalRefIdc === 0) data.fill(0xff, header + 1, Math.max(header + 1, end - 2));
  }
  await fs.writeFile(stream, data);
  await runFfmpeg(['-r', String(fps), '-f', 'h264', '-i', stream, '-c', 'copy', file]);
  await fs.rm(stream);
  return file;
}
