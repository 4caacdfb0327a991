import type { Box, FaceDetection } from '../common/raw-image';

/** Intersection over union of two boxes; 0 when either has no area. */
export function iou(a: Box, b: Box): number {
  const interWidth = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const interHeight = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (interWidth <= 0 || interHeight <= 0) return 0;
  const intersection = interWidth * interHeight;
  const union = boxArea(a) + boxArea(b) - intersection;
  return union > 0 ? intersection / union : 0;
}

/** Area of a box; 0 for an empty or inverted one. */
export function boxArea(box: Box): number {
  return Math.max(0, box.x2 - box.x1) * Math.max(0, box.y2 - box.y1);
}

/**
 * Greedy non-maximum suppression: walk detections from best score down, keep one unless it
 * overlaps an already kept one by more than `iouThreshold`; stop after `maxOut`.
 * Returns the kept detections best score first; the input is not modified.
 */
export function nonMaxSuppression(dets: FaceDetection[], iouThreshold: number, maxOut: number): FaceDetection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: FaceDetection[] = [];
  for (const candidate of sorted) {
    if (kept.length >= maxOut) break;
    if (kept.every((k) => iou(k.box, candidate.box) <= iouThreshold)) kept.push(candidate);
  }
  return kept;
}
