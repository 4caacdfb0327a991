/**
 * Crop packs round-trip: the crops a detector takes out of a pack are byte for byte the
 * crops the face cropper put in, for the shared test faces and for face crops of the sample
 * video; raw packs (as written before crops were encoded, and kept in memory) still read.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import sharp from 'sharp';
import type { RawImage } from '../common';
import { PackedCropError, unpackCrop, type CropEncoding } from '../common/packed-crop';
import { sharedDir } from '../test/video-fixtures';
import { CropPacks } from './crop-packs';
import { cropFace } from './face-crop';
import { UltraFaceDetector } from './ultraface-detector';

const FACES = ['df/df00204.jpg', 'df/df01254.jpg', 'real/real00240.jpg', 'real/real00772.jpg'];

/** The shared test faces as 256×256 RGB crops. */
function testFaces(): Promise<RawImage[]> {
  return Promise.all(
    FACES.map(async (file) => ({
      data: await sharp(path.join(sharedDir(), 'faces', file)).resize(256, 256, { fit: 'fill' }).removeAlpha().raw().toBuffer(),
      width: 256,
      height: 256,
      channels: 3 as const,
    })),
  );
}

/** The speaker's face, cropped as the face cropper does (margin 0.2), at a few moments of the sample video. */
async function videoCrops(): Promise<RawImage[]> {
  const detector = await UltraFaceDetector.create(path.join(sharedDir(), 'weights', 'ultraface', 'version-RFB-640.onnx'), { width: 640, height: 480 }, { executionProviders: ['cpu'] });
  try {
    const crops: RawImage[] = [];
    for (const seconds of [1, 4, 8]) {
      const args = ['-v', 'error', '-ss', String(seconds), '-i', path.join(sharedDir(), 'videos', 'interview_1080p.mp4'), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
      const frame: RawImage = { data: execFileSync('ffmpeg', args, { maxBuffer: 64 << 20 }), width: 1920, height: 1080, channels: 3 };
      for (const face of await detector.detect(frame)) crops.push(await cropFace(frame, face.box, { marginRatio: 0.2, size: 256 }));
    }
    return crops;
  } finally {
    await detector.close();
  }
}

/** Packs `crops` (two formats, interleaved as the cropper adds them), then reads every crop back. */
async function roundTrip(crops: RawImage[], encoding: CropEncoding): Promise<{ read: RawImage[]; packBytes: number }> {
  const packs = new CropPacks('work/v/c/crops/', encoding);
  const refs = [];
  for (const crop of crops) refs.push(await packs.add('256px-m200', crop), await packs.add('small', crop));
  const objects = new Map(packs.objects());
  const read = await Promise.all(refs.map((ref) => unpackCrop(objects.get(ref.key)!, ref)));
  return { read, packBytes: objects.get(refs[0]!.key)!.length };
}

describe('CropPacks', () => {
  let crops: RawImage[];

  beforeAll(async () => {
    crops = [...(await testFaces()), ...(await videoCrops())];
  });

  it('finds the speaker in every sampled frame of the video', () => {
    expect(crops).toHaveLength(FACES.length + 3);
  });

  it.each<CropEncoding>(['webp', 'rgb24'])('gives back exactly the crops put in (%s)', async (encoding) => {
    const { read } = await roundTrip(crops, encoding);
    expect(read).toHaveLength(2 * crops.length);
    read.forEach((crop, i) => {
      const original = crops[Math.floor(i / 2)]!;
      expect({ width: crop.width, height: crop.height }).toEqual({ width: original.width, height: original.height });
      expect(crop.data.equals(original.data)).toBe(true);
    });
  });

  it('stores WebP crops in less than half the bytes of raw ones', async () => {
    const raw = await roundTrip(crops, 'rgb24');
    const webp = await roundTrip(crops, 'webp');
    expect(raw.packBytes).toBe(crops.length * 256 * 256 * 3);
    expect(webp.packBytes).toBeLessThan(raw.packBytes / 2);
  });

  it('refuses a pack cut short instead of reading a partial crop', async () => {
    const packs = new CropPacks('p/', 'webp');
    await packs.add('f', crops[0]!);
    const second = await packs.add('f', crops[1]!);
    const [[, bytes]] = [...packs.objects()];
    await expect(unpackCrop(bytes!.subarray(0, bytes!.length - 10), second)).rejects.toThrow(PackedCropError);
  });
});
