import { followedFaces } from './clip-landmarks';

const face = (x1: number, side: number, score = 0.9) => ({ box: { x1, y1: 0, x2: x1 + side, y2: side }, score });

describe('followedFaces', () => {
  it('follows the largest faces first, up to the cap, and skips faces below the minimum size', () => {
    const faces = [face(0, 50), face(100, 200), face(400, 30), face(600, 120), face(800, 90)];
    expect(followedFaces(faces, { maxFaces: 2, minFaceSizePx: 40 }).map((f) => f.box.x1)).toEqual([100, 600]);
    expect(followedFaces(faces, { maxFaces: 4, minFaceSizePx: 40 }).map((f) => f.box.x1)).toEqual([100, 600, 800, 0]);
    expect(followedFaces(faces, { maxFaces: 4, minFaceSizePx: 300 })).toEqual([]);
  });

  it('breaks ties in size by detection score', () => {
    expect(followedFaces([face(0, 80, 0.6), face(100, 80, 0.95)], { maxFaces: 1, minFaceSizePx: 40 }).map((f) => f.score)).toEqual([0.95]);
  });
});
