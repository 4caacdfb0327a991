import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { DEFAULT_VIDEO_LIMITS, extractFramesForDetection, HelperToolLauncher, isVideoError, probeVideo, type DetectionFrame } from './index';
import { sharedDir } from '../test/video-fixtures';

const limits = DEFAULT_VIDEO_LIMITS;
const interview = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');
const detectionSize = { width: 640, height: 480 };

/** Command lines of the running processes that mention `text`. */
function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith('ffmpeg') && line.includes(text));
}

async function framesOf(options: { launcher?: HelperToolLauncher }): Promise<DetectionFrame[]> {
  const probe = await probeVideo(interview, limits, options);
  const frames: DetectionFrame[] = [];
  for await (const frame of extractFramesForDetection(interview, probe, detectionSize, { frameCount: 4, limits, ...options })) frames.push(frame);
  return frames;
}

describe('HelperToolLauncher', () => {
  let launcher: HelperToolLauncher;
  beforeAll(async () => {
    launcher = await HelperToolLauncher.start();
  });
  afterAll(async () => {
    await launcher.close();
  });

  it('probes a video as ffprobe started by this process does', async () => {
    expect(await probeVideo(interview, limits, { launcher })).toEqual(await probeVideo(interview, limits));
  });

  it('decodes the same frames, byte for byte, as ffmpeg started by this process', async () => {
    const viaHelper = await framesOf({ launcher });
    const direct = await framesOf({});
    expect(viaHelper).toHaveLength(4);
    expect(viaHelper.map((f) => [f.index, f.ptsSeconds])).toEqual(direct.map((f) => [f.index, f.ptsSeconds]));
    viaHelper.forEach((frame, i) => {
      expect(frame.full.data.equals(direct[i]!.full.data)).toBe(true);
      expect(frame.detection.data.equals(direct[i]!.detection.data)).toBe(true);
    });
  }, 60_000);

  it('kills ffmpeg when the consumer aborts', async () => {
    const probe = await probeVideo(interview, limits, { launcher });
    const controller = new AbortController();
    const run = async (): Promise<void> => {
      for await (const frame of extractFramesForDetection(interview, probe, detectionSize, { frameCount: 32, limits, launcher, signal: controller.signal })) {
        void frame;
        controller.abort(new Error('stop now'));
      }
    };
    await expect(run()).rejects.toThrow('stop now');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processesMentioning(interview)).toEqual([]);
  }, 60_000);

  it('reports FFMPEG_NOT_FOUND when the executables are missing', async () => {
    const ffmpegPaths = { ffmpegPath: '/nonexistent/ffmpeg', ffprobePath: '/nonexistent/ffprobe' };
    const probeError = await probeVideo(interview, limits, { ffmpegPaths, launcher }).catch((error: unknown) => error);
    expect(isVideoError(probeError, 'FFMPEG_NOT_FOUND')).toBe(true);
    const probe = await probeVideo(interview, limits, { launcher });
    const drain = async (): Promise<void> => {
      for await (const frame of extractFramesForDetection(interview, probe, detectionSize, { limits, ffmpegPaths, launcher })) void frame;
    };
    expect(isVideoError(await drain().catch((error: unknown) => error), 'FFMPEG_NOT_FOUND')).toBe(true);
  });

  it('refuses to launch once closed', async () => {
    const closed = await HelperToolLauncher.start();
    await closed.close();
    await expect(closed.launch('ffmpeg', ['-version'], 0)).rejects.toThrow('closed');
  });
});
