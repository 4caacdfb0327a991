import { NORMALISED_FACE_SIZE, planFaces, rintHalfEven, type FrameShape } from './lrnet-face-plan';

/** 68 points on a 100×120 grid-like face whose top-left landmark is at (x, y). */
function face(x: number, y: number, width = 100, height = 120): FrameShape {
  const shape = new Int32Array(136);
  for (let p = 0; p < 68; p += 1) {
    shape[2 * p] = x + Math.round(((p % 10) / 9) * width);
    shape[2 * p + 1] = y + Math.round((Math.floor(p / 10) / 6) * height);
  }
  return shape;
}

describe('planFaces (upstream LRNet shape_to_face and detection checks)', () => {
  it('gives every frame a square box of 1.2 × the stable face size, centred on the landmarks', () => {
    const plan = planFaces([face(300, 200), face(301, 200), face(330, 210)], 1280, 720)!;
    expect(plan.skipped).toBe(0);
    // Face extent 120 px (the larger side); 1.2 × 120 = 144.
    expect(plan.boxes.map((box) => box.size)).toEqual([144, 144, 144]);
    // Centre of the first face: (300 + 400) // 2 = 350, (200 + 320) // 2 = 260.
    expect(plan.boxes[0]).toEqual({ x1: 350 - 72, y1: 260 - 72, size: 144 });
    // A centre that moves under 1.42 px is held; one that moves 30 px is followed.
    expect(plan.boxes[1]).toEqual(plan.boxes[0]);
    expect(plan.boxes[2]).toEqual({ x1: 380 - 72, y1: 270 - 72, size: 144 });
    // Points are mapped into the 400×400 face and rounded: (300 − 278) × 400 / 144 = 61.1 → 61.
    expect(plan.locations[0]![0]).toBe(61);
    expect(Math.max(...plan.locations[0]!)).toBeLessThan(NORMALISED_FACE_SIZE);
  });

  it('drops leading frames without a face and repeats the last face over later gaps and implausible jumps', () => {
    const plan = planFaces([null, null, face(300, 200), null, face(900, 500), face(302, 200, 200, 240)], 1280, 720)!;
    expect(plan.skipped).toBe(2);
    expect(plan.locations).toHaveLength(4);
    // The gap, the jump across the frame and the face twice the size all reuse the face before.
    for (const index of [1, 2, 3]) expect(plan.locations[index]).toEqual(plan.locations[0]);
  });

  it('keeps a box inside the frame by shrinking it at the right and bottom edges, as upstream does', () => {
    const plan = planFaces([face(1200, 650)], 1280, 720)!;
    const box = plan.boxes[0]!;
    expect(box.x1 + box.size).toBeLessThanOrEqual(1280);
    expect(box.y1 + box.size).toBeLessThanOrEqual(720);
  });

  it('has no plan for a video without any face', () => {
    expect(planFaces([null, null], 640, 480)).toBeNull();
  });

  it('rounds half to even like NumPy rint', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(rintHalfEven)).toEqual([0, 2, 2, 0, 2, 3]);
  });
});
