/**
 * The first half of LRNet's landmark calibration, a port of upstream's
 * `detect_frames_track` (frederickszk/LRNet demo/utils/landmark_utils.py) up to the
 * tracking: per-frame 68-point detections are made consistent (a missing or implausible
 * detection repeats the previous one), every frame gets a square face box of one stable
 * size (1.2 × the mean face size, centred on the landmarks, the centre held when it moves
 * under 1.42 px), and the landmarks are mapped into that box scaled to 400×400 and rounded.
 * Everything here is integer arithmetic on purpose: it is upstream's.
 */

/** Points per face (iBUG 300-W). */
export const POINTS = 68;
/** Side of the normalised face upstream calibrates in (`face_size_normalized = 400`). */
export const NORMALISED_FACE_SIZE = 400;
/** Face box side as a multiple of the landmarks' extent (`shape_to_face(..., 1.2, ...)`). */
const FACE_BOX_SCALE = 1.2;
/** The box centre is kept while it moves less than this many pixels (`shift_threshold=1.42`). */
const CENTRE_SHIFT_THRESHOLD_PX = 1.42;

/** One frame's detected points in frame pixels, x then y, truncated to integers as upstream's `astype(int)`. */
export type FrameShape = Int32Array;

/** A square face box in frame pixels. */
export interface FaceBox {
  x1: number;
  y1: number;
  size: number;
}

/** What the tracking half needs per frame. */
export interface FacePlan {
  /** Leading frames without any detection; they get no landmarks (upstream drops them). */
  skipped: number;
  /** Per kept frame (frame index = skipped + i): its face box. */
  boxes: FaceBox[];
  /** Per kept frame: the detected points in the 400×400 face, rounded (`shape_norm`). */
  locations: Int32Array[];
}

/**
 * Plans the face boxes of a video from its per-frame detections (`null`: no face found).
 * Returns null when no frame has a face.
 */
export function planFaces(shapes: ReadonlyArray<FrameShape | null>, frameWidth: number, frameHeight: number): FacePlan | null {
  const kept: FrameShape[] = [];
  const previousSizes: number[] = [];
  let skipped = 0;
  for (const detected of shapes) {
    let shape = detected;
    if (shape === null) {
      if (kept.length === 0) {
        skipped += 1;
        continue;
      }
      shape = kept[kept.length - 1]!;
    }
    const previous = kept[kept.length - 1];
    if (previous !== undefined) {
      // A face that jumps by half its size or changes size by 30 % is taken for another face.
      const previousSize = extentOf(previous);
      const size = extentOf(shape);
      if (distance(centroidOf(previous), centroidOf(shape)) > 0.5 * previousSize || size < 0.7 * previousSize || size > 1.3 * previousSize) {
        shape = previous;
      }
      previousSizes.push(previousSize);
    }
    kept.push(shape);
  }
  if (kept.length === 0) return null;
  const stableSize = previousSizes.length > 0 ? rintHalfEven(previousSizes.reduce((a, b) => a + b, 0) / previousSizes.length) : extentOf(kept[0]!);

  const boxes: FaceBox[] = [];
  const locations: Int32Array[] = [];
  let centrePrevious: [number, number] | undefined;
  for (const shape of kept) {
    const { box, centre } = faceBoxOf(shape, frameWidth, frameHeight, stableSize, centrePrevious);
    centrePrevious = centre;
    const scale = NORMALISED_FACE_SIZE / box.size;
    const location = new Int32Array(2 * POINTS);
    for (let p = 0; p < POINTS; p += 1) {
      location[2 * p] = rintHalfEven((shape[2 * p]! - box.x1) * scale);
      location[2 * p + 1] = rintHalfEven((shape[2 * p + 1]! - box.y1) * scale);
    }
    boxes.push(box);
    locations.push(location);
  }
  return { skipped, boxes, locations };
}

/** `shape_to_face` with `assign_face_size`: the box of one stable size, centred on the landmarks. */
function faceBoxOf(
  shape: FrameShape,
  frameWidth: number,
  frameHeight: number,
  stableSize: number,
  centrePrevious: [number, number] | undefined,
): { box: FaceBox; centre: [number, number] } {
  const { xMin, yMin, xMax, yMax } = boundsOf(shape);
  let centre: [number, number] = [Math.floor((xMin + xMax) / 2), Math.floor((yMin + yMax) / 2)];
  if (centrePrevious !== undefined && distance(centrePrevious, centre) < CENTRE_SHIFT_THRESHOLD_PX) centre = centrePrevious;
  let size = Math.trunc(stableSize * FACE_BOX_SCALE);
  size = Math.floor(size / 2) * 2;
  const x1 = Math.max(centre[0] - size / 2, 0);
  const y1 = Math.max(centre[1] - size / 2, 0);
  size = Math.min(frameWidth - x1, size);
  size = Math.min(frameHeight - y1, size);
  return { box: { x1, y1, size }, centre };
}

/** `calculate_face_size`: the larger side of the landmarks' bounding box. */
function extentOf(shape: FrameShape): number {
  const { xMin, yMin, xMax, yMax } = boundsOf(shape);
  return Math.max(xMax - xMin, yMax - yMin);
}

function boundsOf(shape: FrameShape): { xMin: number; yMin: number; xMax: number; yMax: number } {
  let xMin = Infinity;
  let yMin = Infinity;
  let xMax = -Infinity;
  let yMax = -Infinity;
  for (let p = 0; p < POINTS; p += 1) {
    xMin = Math.min(xMin, shape[2 * p]!);
    xMax = Math.max(xMax, shape[2 * p]!);
    yMin = Math.min(yMin, shape[2 * p + 1]!);
    yMax = Math.max(yMax, shape[2 * p + 1]!);
  }
  return { xMin, yMin, xMax, yMax };
}

function centroidOf(shape: FrameShape): [number, number] {
  let x = 0;
  let y = 0;
  for (let p = 0; p < POINTS; p += 1) {
    x += shape[2 * p]!;
    y += shape[2 * p + 1]!;
  }
  return [x / POINTS, y / POINTS];
}

function distance(a: readonly [number, number], b: readonly [number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** NumPy's `rint`: round to the nearest integer, ties to even. */
export function rintHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
