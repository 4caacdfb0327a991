/**
 * The second half of LRNet's calibration, a port of upstream's tracking loop
 * (frederickszk/LRNet demo/utils/landmark_utils.py, `detect_frames_track` and
 * `check_and_merge`): each frame's face is cut out and resized to 400×400 with OpenCV
 * (bicubic when enlarging, area when shrinking); the previous frame's calibrated points are
 * tracked into it with pyramidal Lucas–Kanade (15×15 window, 3 levels, 10 iterations or
 * 0.03 px, the detection as first guess) and tracked back; a point whose backward track
 * lands more than 2 px from where it started, or that LK lost, takes the detection; the
 * others merge the track and the detection with a per-point Kalman filter whose
 * measurement variance is the detection's motion over the track's. Frames arrive one by
 * one, so only two faces are held at a time.
 */
import type { RawImage } from '../../common/raw-image';
import { NORMALISED_FACE_SIZE, POINTS, rintHalfEven, type FacePlan } from './lrnet-face-plan';
import type { OpenCv } from './opencv';

/** `lk_params` upstream: winSize (15, 15), maxLevel 3, criteria EPS | COUNT, 10, 0.03. */
const LK_WINDOW = 15;
const LK_MAX_LEVEL = 3;
const LK_MAX_ITERATIONS = 10;
const LK_EPSILON = 0.03;
/** A point whose forward-backward track misses its start by more than this (px) is not tracked. */
const FEEDBACK_LIMIT_PX = 2;
/** Process variance of the per-point Kalman filter (`Q = 0.3`). */
const PROCESS_VARIANCE = 0.3;

/** Tracks the planned faces of one video, fed its frames in order. */
export class LrnetLandmarkTracker {
  private readonly tracked: Int32Array[] = [];
  private readonly variance = new Float64Array(POINTS);
  private previousFace: InstanceType<OpenCv['Mat']> | undefined;
  private nextFrame = 0;

  constructor(
    private readonly cv: OpenCv,
    private readonly plan: FacePlan,
  ) {}

  /** Frames this tracker expects in all (leading frames without a face included). */
  get frameCount(): number {
    return this.plan.skipped + this.plan.boxes.length;
  }

  /** Feeds the next frame of the video (RGB, frame 0 first). */
  push(frame: RawImage): void {
    const index = this.nextFrame - this.plan.skipped;
    this.nextFrame += 1;
    if (index < 0) return;
    const box = this.plan.boxes[index];
    if (box === undefined) throw new Error(`frame ${this.nextFrame - 1} is past the ${this.frameCount} frames planned`);
    const face = this.normalisedFace(frame, box);
    const detection = this.plan.locations[index]!;
    if (this.previousFace === undefined) {
      this.tracked.push(detection.slice());
    } else {
      this.tracked.push(this.trackAndMerge(this.previousFace, face, this.tracked[this.tracked.length - 1]!, this.plan.locations[index - 1]!, detection));
      this.previousFace.delete();
    }
    this.previousFace = face;
  }

  /** The calibrated points of every frame pushed, mapped to [−1, 1] as (p − 200) / 200: [frames, 136]. */
  result(): Float32Array {
    const half = NORMALISED_FACE_SIZE / 2;
    const values = new Float32Array(this.tracked.length * 2 * POINTS);
    this.tracked.forEach((points, frame) => points.forEach((value, index) => (values[frame * 2 * POINTS + index] = (value - half) / half)));
    return values;
  }

  /** Frees OpenCV memory. */
  close(): void {
    this.previousFace?.delete();
    this.previousFace = undefined;
  }

  private normalisedFace(frame: RawImage, box: { x1: number; y1: number; size: number }): InstanceType<OpenCv['Mat']> {
    const { cv } = this;
    const crop = new cv.Mat(box.size, box.size, cv.CV_8UC3);
    const rowBytes = box.size * 3;
    for (let row = 0; row < box.size; row += 1) {
      const start = ((box.y1 + row) * frame.width + box.x1) * frame.channels;
      crop.data.set(frame.data.subarray(start, start + rowBytes), row * rowBytes);
    }
    const face = new cv.Mat();
    const interpolation = box.size < NORMALISED_FACE_SIZE ? cv.INTER_CUBIC : cv.INTER_AREA;
    cv.resize(crop, face, new cv.Size(NORMALISED_FACE_SIZE, NORMALISED_FACE_SIZE), 0, 0, interpolation);
    crop.delete();
    return face;
  }

  private trackAndMerge(
    previousFace: InstanceType<OpenCv['Mat']>,
    face: InstanceType<OpenCv['Mat']>,
    start: Int32Array,
    previousDetection: Int32Array,
    detection: Int32Array,
  ): Int32Array {
    const forward = this.opticalFlow(previousFace, face, Float32Array.from(start), Float32Array.from(detection));
    const backward = this.opticalFlow(face, previousFace, forward.points, Float32Array.from(start));
    const merged = detection.slice();
    for (let p = 0; p < POINTS; p += 1) {
      const [sx, sy] = [start[2 * p]!, start[2 * p + 1]!];
      const [fx, fy] = [rintHalfEven(forward.points[2 * p]!), rintHalfEven(forward.points[2 * p + 1]!)];
      const [bx, by] = [rintHalfEven(backward.points[2 * p]!), rintHalfEven(backward.points[2 * p + 1]!)];
      const [dx, dy] = [detection[2 * p]!, detection[2 * p + 1]!];
      const lostByLk = forward.status[p] === 0 || backward.status[p] === 0;
      if (lostByLk || Math.hypot(bx - sx, by - sy) > FEEDBACK_LIMIT_PX) continue;
      const detectedMotion = Math.hypot(dx - previousDetection[2 * p]!, dy - previousDetection[2 * p + 1]!);
      const trackedMotion = Math.hypot(fx - sx, fy - sy) || 1;
      this.variance[p]! += PROCESS_VARIANCE;
      const gain = this.variance[p]! / (this.variance[p]! + detectedMotion / trackedMotion);
      // Upstream assigns into an integer array: the merged point is truncated, not rounded.
      merged[2 * p] = Math.trunc(fx + gain * (dx - fx));
      merged[2 * p + 1] = Math.trunc(fy + gain * (dy - fy));
      this.variance[p] = (1 - gain) * this.variance[p]!;
    }
    return merged;
  }

  private opticalFlow(
    from: InstanceType<OpenCv['Mat']>,
    to: InstanceType<OpenCv['Mat']>,
    points: Float32Array,
    initialGuess: Float32Array,
  ): { points: Float32Array; status: Uint8Array } {
    const { cv } = this;
    const previous = cv.matFromArray(POINTS, 1, cv.CV_32FC2, Array.from(points));
    const next = cv.matFromArray(POINTS, 1, cv.CV_32FC2, Array.from(initialGuess));
    const status = new cv.Mat();
    const error = new cv.Mat();
    try {
      const criteria = new cv.TermCriteria(cv.TermCriteria_EPS | cv.TermCriteria_COUNT, LK_MAX_ITERATIONS, LK_EPSILON);
      cv.calcOpticalFlowPyrLK(from, to, previous, next, status, error, new cv.Size(LK_WINDOW, LK_WINDOW), LK_MAX_LEVEL, criteria, cv.OPTFLOW_USE_INITIAL_FLOW);
      return { points: Float32Array.from(next.data32F), status: Uint8Array.from(status.data) };
    } finally {
      previous.delete();
      next.delete();
      status.delete();
      error.delete();
    }
  }
}
