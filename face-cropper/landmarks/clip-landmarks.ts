/**
 * LRNet landmarks of one dense clip, fed frame by frame: faces are detected on the clip's
 * first frame only and each is followed through the clip by its own landmarks (its face box
 * moves with the points' centroid), so the face detector runs once per clip and the landmark
 * net on the faces only. Each frame's face region (a square around the face, see
 * {@link REGION_SCALE}) is kept; once the clip is complete the points are calibrated in
 * those regions as upstream LRNet does (lrnet-face-plan.ts, lrnet-landmark-tracker.ts), which
 * gives the same points as on whole frames, without holding whole frames.
 */
import type { Box, FaceDetection, RawImage } from '../../common/raw-image';
import type { FaceDetector } from '../face-detector';
import type { Landmarker } from './landmarker';
import { planFaces, POINTS, type FaceBox, type FacePlan, type FrameShape } from './lrnet-face-plan';
import { LrnetLandmarkTracker } from './lrnet-landmark-tracker';
import type { OpenCv } from './opencv';

/**
 * Side of the face region kept per frame, as a multiple of the detected box's longer side.
 * Upstream's calibration box is 1.2 × the landmarks' extent (a little more than the detected
 * box) around their centre; 2.5 leaves room for the face to move off its centroid.
 */
export const REGION_SCALE = 2.5;

/** Which faces of a clip's first frame are followed. */
export interface ClipFaceOptions {
  /** At most this many, the largest first. */
  maxFaces: number;
  /** Faces whose detected box's longer side is shorter than this (pixels) are skipped. */
  minFaceSizePx: number;
}

/** What a {@link ClipLandmarkBuilder} needs. */
export interface ClipLandmarkDeps {
  faceDetector: FaceDetector;
  landmarker: Landmarker;
  cv: OpenCv;
}

/** Why a clip (or one face of it) gave no landmark sequence. */
export type NoLandmarksReason = 'NO_FACE' | 'FACE_LEFT_REGION';

/**
 * One face's calibrated landmark sequence in a clip, or why it has none; `face` is the face
 * followed (its box and score on the clip's first frame), absent when the clip had none.
 */
export type ClipLandmarks =
  | {
      /** Frames with landmarks. */
      frames: number;
      /** [frames, 136] in upstream's [−1, 1] space. */
      values: Float32Array;
      face: FaceDetection;
    }
  | { frames: 0; reason: NoLandmarksReason; face?: FaceDetection };

/** A frame's face region: its pixels and where it lies in the frame. */
interface Region {
  image: RawImage;
  x: number;
  y: number;
}

/** One face followed through a clip: its landmarks and face regions, frame by frame. */
interface FollowedFace {
  face: FaceDetection;
  anchor?: { x: number; y: number };
  shapes: FrameShape[];
  regions: Region[];
}

/** Builds one clip's landmark sequences, one per face followed, from its frames pushed in order. */
export class ClipLandmarkBuilder {
  private faces: FollowedFace[] | undefined;
  private frameSize = { width: 0, height: 0 };

  constructor(
    private readonly deps: ClipLandmarkDeps,
    private readonly options: ClipFaceOptions,
  ) {}

  /** Takes the clip's next frame (RGB); after a first frame without a face, frames are ignored. */
  async push(frame: RawImage): Promise<void> {
    if (this.faces === undefined) {
      const found = followedFaces(await this.deps.faceDetector.detect(frame), this.options);
      this.faces = found.map((face) => ({ face, shapes: [], regions: [] }));
      this.frameSize = { width: frame.width, height: frame.height };
    }
    for (const followed of this.faces) {
      const last = followed.shapes[followed.shapes.length - 1];
      const shift = followed.anchor === undefined || last === undefined ? { x: 0, y: 0 } : minus(centroid(last), followed.anchor);
      const box = shifted(followed.face.box, shift.x, shift.y);
      const shape = await this.deps.landmarker.locate(frame, box);
      followed.anchor ??= centroid(shape);
      followed.shapes.push(shape);
      followed.regions.push(regionAround(frame, box));
    }
  }

  /** Calibrates each face's landmarks over the frames pushed, the largest face first; frees what the clip held. */
  finish(): ClipLandmarks[] {
    const faces = this.faces ?? [];
    this.faces = [];
    if (faces.length === 0) return [{ frames: 0, reason: 'NO_FACE' }];
    return faces.map((followed) => this.calibrate(followed));
  }

  private calibrate(followed: FollowedFace): ClipLandmarks {
    const { face } = followed;
    const plan = planFaces(followed.shapes, this.frameSize.width, this.frameSize.height);
    const regions = followed.regions.splice(0);
    if (plan === null) return { frames: 0, reason: 'NO_FACE', face };
    const inRegions = planInRegions(plan, regions);
    if (inRegions === null) return { frames: 0, reason: 'FACE_LEFT_REGION', face };
    const tracker = new LrnetLandmarkTracker(this.deps.cv, inRegions);
    try {
      for (const region of regions.slice(0, tracker.frameCount)) tracker.push(region.image);
      const values = tracker.result();
      return { frames: values.length / (2 * POINTS), values, face };
    } finally {
      tracker.close();
    }
  }
}

/** The plan with each frame's box moved into that frame's region; null when a box does not fit in it. */
function planInRegions(plan: FacePlan, regions: readonly Region[]): FacePlan | null {
  const boxes: FaceBox[] = [];
  for (const [index, box] of plan.boxes.entries()) {
    const region = regions[plan.skipped + index]!;
    const moved = { x1: box.x1 - region.x, y1: box.y1 - region.y, size: box.size };
    if (moved.x1 < 0 || moved.y1 < 0 || moved.x1 + box.size > region.image.width || moved.y1 + box.size > region.image.height) return null;
    boxes.push(moved);
  }
  return { ...plan, boxes };
}

/** A copy of the square of {@link REGION_SCALE} × the box's longer side around its centre, cut at the frame's edges. */
function regionAround(frame: RawImage, box: Box): Region {
  const half = (REGION_SCALE * Math.max(box.x2 - box.x1, box.y2 - box.y1)) / 2;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  const x = Math.max(0, Math.floor(cx - half));
  const y = Math.max(0, Math.floor(cy - half));
  const width = Math.max(1, Math.min(frame.width, Math.ceil(cx + half)) - x);
  const height = Math.max(1, Math.min(frame.height, Math.ceil(cy + half)) - y);
  const data = Buffer.allocUnsafe(width * height * 3);
  for (let row = 0; row < height; row += 1) {
    const start = ((y + row) * frame.width + x) * 3;
    frame.data.copy(data, row * width * 3, start, start + width * 3);
  }
  return { image: { data, width, height, channels: 3 }, x, y };
}

/**
 * The faces to follow: those at least `minFaceSizePx` on their longer side, the largest
 * first (the subject before faces in the background; ties by score), at most `maxFaces`.
 */
export function followedFaces(faces: readonly FaceDetection[], options: ClipFaceOptions): FaceDetection[] {
  const side = (box: Box): number => Math.max(box.x2 - box.x1, box.y2 - box.y1);
  const area = (box: Box): number => (box.x2 - box.x1) * (box.y2 - box.y1);
  return faces
    .filter((face) => side(face.box) >= options.minFaceSizePx)
    .sort((a, b) => area(b.box) - area(a.box) || b.score - a.score)
    .slice(0, Math.max(0, options.maxFaces));
}

function centroid(shape: FrameShape): { x: number; y: number } {
  let x = 0;
  let y = 0;
  for (let p = 0; p < POINTS; p += 1) {
    x += shape[2 * p]!;
    y += shape[2 * p + 1]!;
  }
  return { x: x / POINTS, y: y / POINTS };
}

function minus(a: { x: number; y: number }, b: { x: number; y: number }): { x: number; y: number } {
  return { x: a.x - b.x, y: a.y - b.y };
}

function shifted(box: Box, dx: number, dy: number): Box {
  return { x1: box.x1 + dx, y1: box.y1 + dy, x2: box.x2 + dx, y2: box.y2 + dy };
}
