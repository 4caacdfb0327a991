import type { Box, FaceDetection } from '../common/raw-image';
import { iou, nonMaxSuppression } from './non-max-suppression';

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });
const det = (b: Box, score: number): FaceDetection => ({ box: b, score });

describe('iou', () => {
  it('is 1 for identical boxes and 0 for disjoint or touching ones', () => {
    expect(iou(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1);
    expect(iou(box(0, 0, 10, 10), box(20, 20, 30, 30))).toBe(0);
    expect(iou(box(0, 0, 10, 10), box(10, 0, 20, 10))).toBe(0);
  });

  it('is intersection over union for partial overlap', () => {
    // 5x10 overlap = 50; union = 100 + 100 - 50.
    expect(iou(box(0, 0, 10, 10), box(5, 0, 15, 10))).toBeCloseTo(50 / 150);
    // One box inside the other: 25 / 100.
    expect(iou(box(0, 0, 10, 10), box(0, 0, 5, 5))).toBeCloseTo(0.25);
  });

  it('is 0 when a box has no area', () => {
    expect(iou(box(5, 5, 5, 5), box(0, 0, 10, 10))).toBe(0);
  });
});

describe('nonMaxSuppression', () => {
  it('keeps the best of overlapping boxes and every disjoint one, best score first', () => {
    const weakDuplicate = det(box(2, 2, 102, 102), 0.8);
    const best = det(box(0, 0, 100, 100), 0.95);
    const other = det(box(300, 300, 400, 400), 0.9);
    expect(nonMaxSuppression([weakDuplicate, other, best], 0.3, 16)).toEqual([best, other]);
  });

  it('keeps overlapping boxes whose IoU is at or below the threshold', () => {
    const a = det(box(0, 0, 10, 10), 0.9);
    const b = det(box(5, 0, 15, 10), 0.8); // IoU 1/3 with a
    expect(nonMaxSuppression([a, b], 0.5, 16)).toEqual([a, b]);
    expect(nonMaxSuppression([a, b], 0.3, 16)).toEqual([a]);
  });

  it('stops at maxOut and does not modify its input', () => {
    const dets = [0.5, 0.9, 0.7, 0.8].map((score, i) => det(box(i * 100, 0, i * 100 + 50, 50), score));
    const copy = [...dets];
    expect(nonMaxSuppression(dets, 0.3, 2).map((d) => d.score)).toEqual([0.9, 0.8]);
    expect(dets).toEqual(copy);
  });

  it('returns nothing for no detections', () => {
    expect(nonMaxSuppression([], 0.3, 16)).toEqual([]);
  });
});
