import type { FaceDetection } from '../common/raw-image';
import { FaceCropperError } from './face-cropper-error';
import { IouTracker } from './iou-tracker';

const face = (x: number, y: number, size = 100, score = 0.9): FaceDetection => ({
  box: { x1: x, y1: y, x2: x + size, y2: y + size },
  score,
});

describe('IouTracker', () => {
  it('keeps the ids of two faces moving slowly, whatever order they arrive in', () => {
    const tracker = new IouTracker({ iouThreshold: 0.3, maxGapFrames: 4 });
    const first = tracker.update(0, [face(100, 100), face(600, 100)]);
    expect(first).toEqual([0, 1]);
    for (let s = 1; s < 10; s++) {
      const left = face(100 + 5 * s, 100 + 2 * s);
      const right = face(600 - 5 * s, 100);
      // Alternate the input order: ids follow the boxes, not the positions in the array.
      const ids = s % 2 === 0 ? tracker.update(s, [left, right]) : tracker.update(s, [right, left]).reverse();
      expect(ids).toEqual([0, 1]);
    }
    const tracks = tracker.tracks();
    expect(tracks.map((t) => t.detections.length)).toEqual([10, 10]);
    expect(tracks[0].detections[9].box.x1).toBe(145);
  });

  it('continues a track across a gap of maxGapFrames samples and ends it after a longer one', () => {
    const tracker = new IouTracker({ iouThreshold: 0.3, maxGapFrames: 2 });
    expect(tracker.update(0, [face(100, 100)])).toEqual([0]);
    tracker.update(1, []);
    tracker.update(2, []);
    expect(tracker.update(3, [face(102, 100)])).toEqual([0]); // missed 2 samples: still track 0
    // Skipped ordinals count as misses too: last seen at 3, missed 4, 5, 6.
    expect(tracker.update(7, [face(104, 100)])).toEqual([1]);
    expect(tracker.tracks().map((t) => t.detections.map((d) => d.sampleOrdinal))).toEqual([[0, 3], [7]]);
  });

  it('records the decoded-frame index beside the sample ordinal', () => {
    const tracker = new IouTracker({});
    tracker.update(0, [face(0, 0)], 0);
    tracker.update(1, [face(0, 0)], 15);
    expect(tracker.tracks()[0].detections.map((d) => [d.sampleOrdinal, d.frameIndex])).toEqual([[0, 0], [1, 15]]);
  });

  it('starts a new track for a detection that overlaps nothing enough', () => {
    const tracker = new IouTracker({ iouThreshold: 0.3, maxGapFrames: 4 });
    tracker.update(0, [face(0, 0)]);
    expect(tracker.update(1, [face(80, 0)])).toEqual([1]); // IoU 20/180 < 0.3
  });

  it('gives a contested track to the detection that overlaps it most', () => {
    const tracker = new IouTracker({ iouThreshold: 0.3, maxGapFrames: 4 });
    tracker.update(0, [face(100, 100)]);
    // Both overlap track 0; the closer one (IoU 0.82) wins, the other starts track 1.
    expect(tracker.update(1, [face(130, 100), face(110, 100)])).toEqual([1, 0]);
  });

  it('matches highest IoU first when two faces cross', () => {
    const tracker = new IouTracker({ iouThreshold: 0.3, maxGapFrames: 4 });
    tracker.update(0, [face(100, 100), face(160, 100)]);
    // Each moves 10 px towards the other: each box stays closest to its own track.
    expect(tracker.update(1, [face(150, 100), face(110, 100)])).toEqual([1, 0]);
  });

  it('keeps an id through a missed detection while the other face is seen', () => {
    const tracker = new IouTracker({ iouThreshold: 0.3, maxGapFrames: 4 });
    tracker.update(0, [face(100, 100), face(600, 100)]);
    expect(tracker.update(1, [face(600, 100)])).toEqual([1]);
    expect(tracker.update(2, [face(102, 100), face(601, 100)])).toEqual([0, 1]);
  });

  it('rejects sample ordinals that do not increase and invalid options', () => {
    const tracker = new IouTracker({});
    tracker.update(3, []);
    expect(() => tracker.update(3, [])).toThrow(RangeError);
    expect(() => new IouTracker({ maxGapFrames: -1 })).toThrow(FaceCropperError);
    expect(() => new IouTracker({ iouThreshold: 0 })).toThrow(FaceCropperError);
  });

  it('uses iouThreshold 0.3 and maxGapFrames 4 by default', () => {
    const tracker = new IouTracker({});
    tracker.update(0, [face(0, 0)]);
    expect(tracker.update(5, [face(0, 0)])).toEqual([0]); // missed 1..4: continued
    expect(tracker.update(6, [face(50, 0)])).toEqual([0]); // IoU 1/3 >= 0.3
    expect(tracker.update(7, [face(105, 0)])).toEqual([1]); // IoU 45/155 < 0.3
    expect(tracker.update(12, [face(105, 0)])).toEqual([1]); // missed 8..11: continued
    expect(tracker.update(18, [face(105, 0)])).toEqual([2]); // missed 13..17: a new track
  });
});
