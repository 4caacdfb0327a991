import * as path from 'node:path';
import sharp from 'sharp';
import type { FaceDetection, RawImage } from '../../common/raw-image';
import { sharedDir } from '../../test/video-fixtures';
import { ensureModel } from '../../weights';
import { squareCropBox } from '../face-crop';
import { UltraFaceDetector } from '../ultraface-detector';
import { createLandmarker } from './create-landmarker';
import { FACEMESH_TO_IBUG68 } from './facemesh-ibug68';
import type { Landmarker } from './landmarker';
import type { FrameShape } from './lrnet-face-plan';

const weights = { mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir(), 'weights') };
const session = { executionProviders: ['cpu'], intraOpThreads: 1 };
const FACES = ['real/real00240.jpg', 'real/real00772.jpg', 'df/df00204.jpg', 'df/df01254.jpg'];

async function readFace(name: string): Promise<RawImage> {
  const { data, info } = await sharp(path.join(sharedDir(), 'faces', name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

const x = (shape: FrameShape, point: number): number => shape[2 * point]!;
const y = (shape: FrameShape, point: number): number => shape[2 * point + 1]!;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('FACEMESH_TO_IBUG68', () => {
  it('picks 68 distinct FaceMesh vertices', () => {
    expect(FACEMESH_TO_IBUG68).toHaveLength(68);
    expect(new Set(FACEMESH_TO_IBUG68).size).toBe(68);
    expect(FACEMESH_TO_IBUG68.every((vertex) => Number.isInteger(vertex) && vertex >= 0 && vertex < 468)).toBe(true);
  });
});

describe('FaceMeshLandmarker (MediaPipe FaceMesh mapped to iBUG 68) on the four labelled face crops', () => {
  let faceDetector: UltraFaceDetector;
  let facemesh: Landmarker;
  let faceapi: Landmarker;
  const located: Array<{ name: string; frame: RawImage; face: FaceDetection; mesh: FrameShape; api: FrameShape }> = [];

  beforeAll(async () => {
    const [faceModel, meshModel, apiModel] = await Promise.all(['ultraface-rfb-640', 'facemesh-landmark468', 'faceapi-landmark68'].map((name) => ensureModel(name, weights)));
    faceDetector = await UltraFaceDetector.create(faceModel!.onnxPath, { width: 640, height: 480 }, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    facemesh = await createLandmarker('facemesh', meshModel!, session);
    faceapi = await createLandmarker('faceapi', apiModel!, session);
    for (const name of FACES) {
      const frame = await readFace(name);
      const [face] = await faceDetector.detect(frame);
      if (face === undefined) throw new Error(`no face found in ${name}`);
      located.push({ name, frame, face, mesh: await facemesh.locate(frame, face.box), api: await faceapi.locate(frame, face.box) });
    }
  });
  afterAll(async () => {
    await Promise.all([faceDetector?.close(), facemesh?.close(), faceapi?.close()]);
  });

  it("puts every point inside the face: the detector's box squared with 10 % margin, as face-api's net reads it", () => {
    for (const { face, frame, mesh } of located) {
      const square = squareCropBox(face.box, 0.1, frame.width, frame.height);
      const outside = range(0, 68).filter((p) => x(mesh, p) < square.x1 || x(mesh, p) > square.x2 || y(mesh, p) < square.y1 || y(mesh, p) > square.y2);
      expect(outside).toEqual([]);
    }
  });

  it('keeps iBUG order: brows above eyes above nose tip above mouth above chin, image left before image right', () => {
    for (const { mesh } of located) {
      const maxY = (points: number[]): number => Math.max(...points.map((p) => y(mesh, p)));
      const minY = (points: number[]): number => Math.min(...points.map((p) => y(mesh, p)));
      expect(maxY(range(17, 27))).toBeLessThan(minY(range(36, 48)) + 1);
      expect(maxY(range(36, 48))).toBeLessThan(y(mesh, 30));
      expect(y(mesh, 30)).toBeLessThan(minY(range(48, 68)));
      expect(maxY(range(48, 68))).toBeLessThan(y(mesh, 8));
      // Right eye (image left): outer corner 36, inner 39; left eye: inner 42, outer 45.
      expect([36, 39, 42, 45].map((p) => x(mesh, p))).toEqual([36, 39, 42, 45].map((p) => x(mesh, p)).sort((a, b) => a - b));
      expect(x(mesh, 0)).toBeLessThan(x(mesh, 8));
      expect(x(mesh, 8)).toBeLessThan(x(mesh, 16));
      expect(x(mesh, 48)).toBeLessThan(x(mesh, 54));
      expect(x(mesh, 17)).toBeLessThan(x(mesh, 26));
      expect(x(mesh, 31)).toBeLessThan(x(mesh, 35));
    }
  });

  it("lands within a tenth of the face size of face-api's 68 points, on average", () => {
    for (const { face, mesh, api } of located) {
      const side = Math.max(face.box.x2 - face.box.x1, face.box.y2 - face.box.y1);
      const mean = range(0, 68).reduce((sum, p) => sum + Math.hypot(x(mesh, p) - x(api, p), y(mesh, p) - y(api, p)), 0) / 68;
      expect(mean).toBeLessThan(0.1 * side);
    }
  });
});
