/**
 * LRNet landmarks of a whole video, as upstream's `extract_landmarks.py` produces them but
 * with deepsift's models: every frame is decoded (ffmpeg, RGB), the best face is detected
 * and its 68 points located; the detections are planned into stable face boxes, then the
 * video is decoded a second time to calibrate the points in the 400×400 faces (only two
 * faces are held at a time, never the whole video).
 */
import { spawn } from 'node:child_process';
import type { RawImage } from '../../common/raw-image';
import type { FaceDetector } from '../face-detector';
import type { Landmarker } from './landmarker';
import { planFaces, type FrameShape } from './lrnet-face-plan';
import { LrnetLandmarkTracker } from './lrnet-landmark-tracker';
import type { OpenCv } from './opencv';

/** What `extractVideoLandmarks` needs. */
export interface VideoLandmarkDeps {
  faceDetector: FaceDetector;
  landmarker: Landmarker;
  cv: OpenCv;
  /** ffmpeg executable; default `ffmpeg`. */
  ffmpegPath?: string;
}

/** Calibrated landmarks of a video and how they were obtained. */
export interface VideoLandmarks {
  /** Frames with landmarks (leading frames without a face are dropped, as upstream does). */
  frames: number;
  /** [frames, 136], upstream's [−1, 1] space. */
  values: Float32Array;
  /** The same before calibration: each frame's detection in its 400×400 face, for comparison. */
  uncalibrated: Float32Array;
  /** Frames decoded. */
  decodedFrames: number;
  /** Frames where no face was found (the previous frame's points were reused). */
  framesWithoutFace: number;
}

/** Extracts the calibrated landmark sequence of the first face of a `width`×`height` video. */
export async function extractVideoLandmarks(videoPath: string, width: number, height: number, deps: VideoLandmarkDeps): Promise<VideoLandmarks> {
  const shapes: Array<FrameShape | null> = [];
  await decodeFrames(videoPath, width, height, deps.ffmpegPath, async (frame) => {
    const [best] = await deps.faceDetector.detect(frame);
    shapes.push(best === undefined ? null : await deps.landmarker.locate(frame, best.box));
  });
  const plan = planFaces(shapes, width, height);
  const framesWithoutFace = shapes.filter((shape) => shape === null).length;
  if (plan === null) return { frames: 0, values: new Float32Array(0), uncalibrated: new Float32Array(0), decodedFrames: shapes.length, framesWithoutFace };
  const uncalibrated = new Float32Array(plan.locations.length * 136);
  plan.locations.forEach((location, frame) => location.forEach((value, i) => (uncalibrated[frame * 136 + i] = (value - 200) / 200)));
  const tracker = new LrnetLandmarkTracker(deps.cv, plan);
  try {
    let index = 0;
    await decodeFrames(videoPath, width, height, deps.ffmpegPath, async (frame) => {
      if (index < tracker.frameCount) tracker.push(frame);
      index += 1;
    });
    const values = tracker.result();
    return { frames: values.length / 136, values, uncalibrated, decodedFrames: shapes.length, framesWithoutFace };
  } finally {
    tracker.close();
  }
}

/** Decodes every frame of `videoPath` as RGB and hands them over one at a time, in order. */
async function decodeFrames(
  videoPath: string,
  width: number,
  height: number,
  ffmpegPath: string | undefined,
  onFrame: (frame: RawImage) => Promise<void>,
): Promise<void> {
  const args = ['-v', 'error', '-i', videoPath, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  const child = spawn(ffmpegPath ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const frameBytes = width * height * 3;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= frameBytes) {
      const data = Buffer.from(pending.subarray(0, frameBytes));
      pending = pending.subarray(frameBytes);
      await onFrame({ data, width, height, channels: 3 });
    }
  }
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg failed to decode ${videoPath} (exit ${code}): ${stderr.trim()}`);
}
