import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

import * as path from 'node:path';

import { sharedDir } from '../test/video-fixtures';
import { ChildToolProcess } from './child-tool-process';
import { DEFAULT_FFMPEG_PATHS, DEFAULT_VIDEO_LIMITS, extractClips, extractFramesForDetection, probeVideo, type DetectionFrame } from './index';
import { forEachLine, spawnTool, waitForExit, type ToolExit } from './ffmpeg-command';
import { FrameQueue } from './frame-queue';
import { HelperToolLauncher, ToolLauncherError } from './tool-launcher';
import type { ToolProcess } from './tool-process';
import { isVideoError } from './video-error';

const WIDTH = 32;
const HEIGHT = 24;
const FRAME_BYTES = WIDTH * HEIGHT * 3;

/** ffmpeg drawing `frames` test-pattern frames as raw RGB on stdout (and grey on fd 3 with `gray`). */
function testPatternArgs(frames: number | undefined, gray = false): string[] {
  return [
    '-nostdin', '-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${WIDTH}x${HEIGHT}:rate=25`,
    ...(frames === undefined ? [] : ['-frames:v', String(frames)]),
    '-map', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
    ...(gray ? ['-map', '0', ...(frames === undefined ? [] : ['-frames:v', String(frames)]), '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:3'] : []),
  ];
}

function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function run(tool: ToolProcess, executable: string): Promise<{ exit: ToolExit; stdout: Buffer; stderrLines: string[]; extra: Buffer[] }> {
  const exited = waitForExit(tool, executable);
  const stderrLines: string[] = [];
  forEachLine(tool.stderr, (line) => stderrLines.push(line));
  const [stdout, ...extra] = await Promise.all([readAll(tool.stdout), ...tool.extraOutputs.map(readAll)]);
  return { exit: await exited, stdout: stdout!, stderrLines, extra };
}

/** Every frame of a queue, read as `tool`'s output `fd`, each handed out after `delayMs`. */
async function readFrames(tool: ToolProcess, fd: number, queue: FrameQueue, delayMs = 0): Promise<Buffer[]> {
  queue.readFrom(fd === 1 ? tool.stdout : tool.extraOutputs[fd - 3]!, tool.directOutputs.has(fd));
  const frames: Buffer[] = [];
  for (let frame = await queue.next(); frame !== undefined; frame = await queue.next()) {
    frames.push(frame);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  return frames;
}

/** Whether a process is gone (or a zombie nobody has reaped yet: it runs no more). */
function isGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Reads `stream` until `bytes` have come (or it ended), then stops reading it. */
function firstBytes(stream: Readable, bytes: number): Promise<number> {
  let seen = 0;
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen >= bytes) resolve(seen);
    });
    stream.once('end', () => resolve(seen));
  });
}

describe('HelperToolLauncher', () => {
  let launcher: HelperToolLauncher;
  let reference: Buffer;
  let referenceGray: Buffer;

  beforeAll(async () => {
    // The same commands started directly by this process give the bytes to expect.
    reference = (await run(ChildToolProcess.spawn('ffmpeg', testPatternArgs(20), 0), 'ffmpeg')).stdout;
    const both = await run(ChildToolProcess.spawn('ffmpeg', testPatternArgs(20, true), 1), 'ffmpeg');
    referenceGray = both.extra[0]!;
    expect(reference.length).toBe(20 * FRAME_BYTES);
    expect(referenceGray.length).toBe(20 * WIDTH * HEIGHT);
    launcher = HelperToolLauncher.start();
  });

  afterAll(async () => {
    await launcher.close();
  });

  it('delivers the exact bytes, stderr lines and exit status of 300 short launches, 12 at a time', async () => {
    const check = async (i: number): Promise<void> => {
      if (i % 3 === 0) {
        // A shell: known stdout, stderr lines written in pieces, a chosen exit status.
        const lines = 1 + (i % 50);
        const script = 'i=0; while [ $i -lt $1 ]; do echo "line $i of $2"; i=$((i+1)); done; printf "warn" >&2; printf " $2\\nlast $2" >&2; exit $3';
        const result = await run(launcher.launch('sh', ['-c', script, 'sh', String(lines), String(i), String(i % 7)], 0), 'sh');
        const expected = Array.from({ length: lines }, (_, n) => `line ${n} of ${i}\n`).join('');
        expect({ i, stdout: result.stdout.toString(), stderr: result.stderrLines, exit: result.exit }).toEqual({
          i,
          stdout: expected,
          stderr: [`warn ${i}`, `last ${i}`],
          exit: { code: i % 7, signal: null },
        });
      } else if (i % 6 === 2) {
        // Frames read straight into the queues' buffers, from stdout and fd 3.
        const frames = 1 + (i % 20);
        const rgb = new FrameQueue(FRAME_BYTES);
        const gray = new FrameQueue(WIDTH * HEIGHT);
        const tool = launcher.launch('ffmpeg', testPatternArgs(frames, true), 1, new Map([[1, rgb.directReader], [3, gray.directReader]]));
        expect([...tool.directOutputs]).toEqual([1, 3]);
        const exited = waitForExit(tool, 'ffmpeg');
        const [rgbFrames, grayFrames] = await Promise.all([readFrames(tool, 1, rgb), readFrames(tool, 3, gray)]);
        expect({ i, exit: await exited }).toEqual({ i, exit: { code: 0, signal: null } });
        expect(Buffer.concat(rgbFrames!).equals(reference.subarray(0, frames * FRAME_BYTES))).toBe(true);
        expect(Buffer.concat(grayFrames!).equals(referenceGray.subarray(0, frames * WIDTH * HEIGHT))).toBe(true);
      } else {
        const frames = 1 + (i % 20);
        const gray = i % 3 === 1;
        const result = await run(launcher.launch('ffmpeg', testPatternArgs(frames, gray), gray ? 1 : 0), 'ffmpeg');
        expect({ i, exit: result.exit, stderr: result.stderrLines }).toEqual({ i, exit: { code: 0, signal: null }, stderr: [] });
        expect(result.stdout.equals(reference.subarray(0, frames * FRAME_BYTES))).toBe(true);
        if (gray) expect(result.extra[0]!.equals(referenceGray.subarray(0, frames * WIDTH * HEIGHT))).toBe(true);
      }
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 300) await check(next++);
    };
    await Promise.all(Array.from({ length: 12 }, worker));
  });

  it('reads frames into the buffers the queue allocates, and pauses the tool while the queue is full', async () => {
    const allocated: Buffer[] = [];
    const allocate = (bytes: number): Buffer => {
      const buffer = Buffer.alloc(bytes);
      allocated.push(buffer);
      return buffer;
    };
    const queue = new FrameQueue(FRAME_BYTES, allocate, 2);
    const tool = launcher.launch('ffmpeg', testPatternArgs(20), 0, new Map([[1, queue.directReader]]));
    const exited = waitForExit(tool, 'ffmpeg');
    queue.readFrom(tool.stdout, tool.directOutputs.has(1));
    const first = await queue.next();
    // The consumer is behind: reading stops with the queue full, one frame being built.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(allocated.length).toBeLessThanOrEqual(4);
    const frames = [first!, ...(await readFrames(tool, 1, queue, 5))];
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(Buffer.concat(frames).equals(reference)).toBe(true);
    // Every frame is a buffer the queue allocated, filled in place.
    expect(frames.every((frame) => allocated.includes(frame))).toBe(true);
  });

  it('ends a tool killed before it started: SIGKILL, no output, and the next launches run', async () => {
    for (let i = 0; i < 20; i += 1) {
      const queue = new FrameQueue(FRAME_BYTES);
      const tool = launcher.launch('ffmpeg', testPatternArgs(5), 0, new Map([[1, queue.directReader]]));
      tool.kill();
      const exited = waitForExit(tool, 'ffmpeg');
      const frames = await readFrames(tool, 1, queue);
      const exit = await exited;
      // Rarely the tool has already started and written its frames when the kill arrives.
      if (exit.signal === 'SIGKILL') expect(frames.length).toBeLessThan(5);
      else expect({ exit, frames: frames.length }).toEqual({ exit: { code: 0, signal: null }, frames: 5 });
    }
    const result = await run(launcher.launch('ffmpeg', testPatternArgs(5), 0), 'ffmpeg');
    expect(result.stdout.equals(reference.subarray(0, 5 * FRAME_BYTES))).toBe(true);
  });

  it('reports a missing executable as FFMPEG_NOT_FOUND, through spawnTool as well', async () => {
    const tool = spawnTool('/nonexistent/ffmpeg', ['-version'], 1, launcher);
    const outputs = Promise.all([readAll(tool.stdout), readAll(tool.stderr), readAll(tool.extraOutputs[0]!)]);
    const error: unknown = await waitForExit(tool, '/nonexistent/ffmpeg').catch((e: unknown) => e);
    expect(isVideoError(error, 'FFMPEG_NOT_FOUND')).toBe(true);
    expect((await outputs).map((b) => b.length)).toEqual([0, 0, 0]);
  });

  it('kills a tool and its process group in the middle of its output', async () => {
    // A shell that starts an endless ffmpeg in the background: only a group kill ends both.
    const tool = launcher.launch('sh', ['-c', `echo $$; ffmpeg ${testPatternArgs(undefined).map((a) => `'${a}'`).join(' ')} & wait`], 0);
    const exited = waitForExit(tool, 'sh');
    const lines: string[] = [];
    forEachLine(tool.stderr, (line) => lines.push(line));
    const chunks: Buffer[] = [];
    tool.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    expect(await waitUntil(() => Buffer.concat(chunks).length > 10 * FRAME_BYTES)).toBe(true);
    const shellPid = Number(Buffer.concat(chunks).toString('latin1').split('\n')[0]);
    expect(shellPid).toBe(tool.pid);
    tool.kill();
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The background ffmpeg was in the shell's group: gone too.
    const groupMembers = (): string[] => execPs().filter((line) => line.split(' ')[1] === String(shellPid));
    expect(await waitUntil(() => groupMembers().length === 0)).toBe(true);
  });

  it('fails what a SIGKILLed helper was running with a clear error, and starts a new helper for the next launch', async () => {
    const tool = launcher.launch('ffmpeg', testPatternArgs(undefined), 0);
    const exited = waitForExit(tool, 'ffmpeg');
    await firstBytes(tool.stdout, FRAME_BYTES);
    const toolPid = tool.pid!;
    const helperPid = launcher.helperPid!;
    process.kill(helperPid, 'SIGKILL');
    const error: unknown = await exited.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolLauncherError);
    expect((error as Error).message).toMatch(/helper process exited \(SIGKILL\) while running a tool/);
    expect(await waitUntil(() => isGone(toolPid))).toBe(true);

    const result = await run(launcher.launch('ffmpeg', testPatternArgs(5), 0), 'ffmpeg');
    expect(result.exit).toEqual({ code: 0, signal: null });
    expect(result.stdout.equals(reference.subarray(0, 5 * FRAME_BYTES))).toBe(true);
    expect(launcher.helperPid).not.toBe(helperPid);
  });

  it('ends the frames read directly when the helper is SIGKILLed, with the paused queue full', async () => {
    const queue = new FrameQueue(FRAME_BYTES, undefined, 2);
    const tool = launcher.launch('ffmpeg', testPatternArgs(undefined), 0, new Map([[1, queue.directReader]]));
    const exited = waitForExit(tool, 'ffmpeg');
    queue.readFrom(tool.stdout, tool.directOutputs.has(1));
    await queue.next();
    // The consumer stops: reading is paused with the queue full when the helper dies.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const toolPid = tool.pid!;
    process.kill(launcher.helperPid!, 'SIGKILL');
    expect(await exited.catch((e: unknown) => e)).toBeInstanceOf(ToolLauncherError);
    expect(await waitUntil(() => isGone(toolPid))).toBe(true);
    // The whole frames ffmpeg wrote before it died come out, then the end: no consumer waits for ever.
    const sizes = new Set<number>();
    for (let frame = await queue.next(); frame !== undefined; frame = await queue.next()) sizes.add(frame.length);
    expect([...sizes]).toEqual([FRAME_BYTES]);
  });

  it('gives the sample video the same probe, frames (two outputs) and clips as spawning directly', async () => {
    const interview = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');
    const limits = DEFAULT_VIDEO_LIMITS;
    const decode = async (ffmpegPaths: typeof DEFAULT_FFMPEG_PATHS): Promise<{ probe: unknown; frames: DetectionFrame[]; clips: Buffer[] }> => {
      const probe = await probeVideo(interview, limits, { ffmpegPaths });
      const frames: DetectionFrame[] = [];
      for await (const frame of extractFramesForDetection(interview, probe, { width: 320, height: 240 }, { frameCount: 3, limits, ffmpegPaths })) frames.push(frame);
      const clips: Buffer[] = [];
      const windows = [{ startFrame: 10, frames: 2 }, { startFrame: 40, frames: 2 }];
      for await (const frame of extractClips(interview, probe, windows, { limits, ffmpegPaths })) clips.push(frame.image.data);
      return { probe, frames, clips };
    };
    const direct = await decode(DEFAULT_FFMPEG_PATHS);
    const relayed = await decode({ ...DEFAULT_FFMPEG_PATHS, launcher });
    expect(relayed.probe).toEqual(direct.probe);
    expect(relayed.frames.map((f) => [f.index, f.ptsSeconds])).toEqual(direct.frames.map((f) => [f.index, f.ptsSeconds]));
    expect(relayed.frames.length).toBe(3);
    for (const [i, frame] of relayed.frames.entries()) {
      expect(frame.full.data.equals(direct.frames[i]!.full.data)).toBe(true);
      expect(frame.detection.data.equals(direct.frames[i]!.detection.data)).toBe(true);
    }
    expect(relayed.clips.length).toBe(4);
    expect(relayed.clips.every((clip, i) => clip.equals(direct.clips[i]!))).toBe(true);
  });

  it('stops decoding when the signal aborts: the generator throws and ffmpeg is gone', async () => {
    const interview = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');
    const ffmpegPaths = { ...DEFAULT_FFMPEG_PATHS, launcher };
    const probe = await probeVideo(interview, DEFAULT_VIDEO_LIMITS, { ffmpegPaths });
    const controller = new AbortController();
    const frames = extractClips(interview, probe, [{ startFrame: 0, frames: 200 }], { limits: DEFAULT_VIDEO_LIMITS, ffmpegPaths, signal: controller.signal });
    await frames.next();
    const toolsOfHelper = (): string[] => execPs().filter((line) => line.split(' ')[2] === String(launcher.helperPid));
    expect(toolsOfHelper().length).toBe(1);
    controller.abort();
    await expect(frames.next()).rejects.toThrow();
    expect(await waitUntil(() => toolsOfHelper().length === 0)).toBe(true);
  });

  it('on close ends its tools and its helper, which it reaps; later launches fail', async () => {
    const own = HelperToolLauncher.start();
    const tool = own.launch('ffmpeg', testPatternArgs(undefined), 0);
    const exited = waitForExit(tool, 'ffmpeg');
    await firstBytes(tool.stdout, FRAME_BYTES);
    const helperPid = own.helperPid!;
    const toolPid = tool.pid!;
    await own.close();
    expect(isGone(helperPid)).toBe(true);
    expect(() => readFileSync(`/proc/${helperPid}/stat`)).toThrow();
    expect(await waitUntil(() => isGone(toolPid))).toBe(true);
    expect(await exited.catch((e: unknown) => e)).toBeInstanceOf(ToolLauncherError);
    const late = own.launch('ffmpeg', ['-version'], 0);
    expect(await waitForExit(late, 'ffmpeg').catch((e: unknown) => e)).toBeInstanceOf(ToolLauncherError);
  });
});

/** Every process that still runs (zombies left out), as "pid pgid ppid". */
function execPs(): string[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,ppid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length === 4 && !fields[3]!.startsWith('Z'))
    .map((fields) => fields.slice(0, 3).join(' '));
}
