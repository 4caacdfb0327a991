/**
 * Crop packs round-trip: the crops a detector takes out of a pack are byte for byte the
 * crops the face cropper put in, for the shared test faces and for face crops of the sample
 * video, RGB ones and those cut from YUV frames (stored as their planes, read back as the RGB
 * that `scan`'s detectors get); raw packs (as written before crops were encoded, and kept in
 * memory) still read.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import type { RawImage, Yuv420Image } from '../common';
import { PackedCropError, unpackCrop, type CropEncoding, type CropPixels } from '../common/packed-crop';
import { yuv420ToRgb } from '../common/yuv-to-rgb';
import { sharedDir } from '../test/video-fixtures';
import { CropPacks } from './crop-packs';
import { cropFace, cropFaceFromYuv, cropPlanesFromYuv } from './face-crop';
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

/** The speaker's face at a few moments of the sample video, cropped as the face cropper does (margin 0.2) from RGB and from YUV frames. */
async function videoCrops(): Promise<{ rgb: RawImage[]; yuv: Yuv420Image[]; yuvAsRgb: RawImage[] }> {
  const detector = await UltraFaceDetector.create(path.join(sharedDir(), 'weights', 'ultraface', 'version-RFB-640.onnx'), { width: 640, height: 480 }, { executionProviders: ['cpu'] });
  try {
    const crops = { rgb: [] as RawImage[], yuv: [] as Yuv420Image[], yuvAsRgb: [] as RawImage[] };
    for (const seconds of [1, 4, 8]) {
      const decode = (pixelFormat: string) =>
        execFileSync('ffmpeg', ['-v', 'error', '-ss', String(seconds), '-i', path.join(sharedDir(), 'videos', 'interview_1080p.mp4'), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', pixelFormat, 'pipe:1'], { maxBuffer: 64 << 20 });
      const frame: RawImage = { data: decode('rgb24'), width: 1920, height: 1080, channels: 3 };
      const yuvFrame: Yuv420Image = { data: decode('yuv420p'), width: 1920, height: 1080, format: 'yuv420p' };
      for (const face of await detector.detect(frame)) {
        crops.rgb.push(await cropFace(frame, face.box, { marginRatio: 0.2, size: 256 }));
        crops.yuv.push(await cropPlanesFromYuv(yuvFrame, face.box, { marginRatio: 0.2, size: 256 }));
        crops.yuvAsRgb.push(await cropFaceFromYuv(yuvFrame, face.box, { marginRatio: 0.2, size: 256 }));
      }
    }
    return crops;
  } finally {
    await detector.close();
  }
}

/** Packs `crops` (two formats, interleaved as the cropper adds them), then reads every crop back. */
async function roundTrip(crops: CropPixels[], encoding: CropEncoding): Promise<{ read: RawImage[]; packBytes: number; format: string }> {
  const packs = new CropPacks('work/v/c/crops/', encoding);
  const refs = [];
  for (const crop of crops) refs.push(await packs.add('256px-m200', crop), await packs.add('small', crop));
  const objects = new Map(packs.objects());
  const read = await Promise.all(refs.map((ref) => unpackCrop(objects.get(ref.key)!, ref)));
  return { read, packBytes: objects.get(refs[0]!.key)!.length, format: refs[0]!.format };
}

describe('CropPacks', () => {
  let crops: RawImage[];
  let fromVideo: Awaited<ReturnType<typeof videoCrops>>;

  beforeAll(async () => {
    fromVideo = await videoCrops();
    crops = [...(await testFaces()), ...fromVideo.rgb];
  });

  it('finds the speaker in every sampled frame of the video', () => {
    expect(crops).toHaveLength(FACES.length + 3);
    expect(fromVideo.yuv).toHaveLength(3);
  });

  it.each<CropEncoding>(['lossless', 'rgb24'])('gives back exactly the crops put in (%s)', async (encoding) => {
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
    const webp = await roundTrip(crops, 'lossless');
    expect(raw.packBytes).toBe(crops.length * 256 * 256 * 3);
    expect(webp.packBytes).toBeLessThan(raw.packBytes / 2);
  });

  it.each<CropEncoding>(['lossless', 'rgb24'])('gives back crops cut from YUV frames as the RGB that scan converts them to (%s)', async (encoding) => {
    const { read, format } = await roundTrip(fromVideo.yuv, encoding);
    expect(format).toBe(encoding === 'lossless' ? 'yuv420p-med' : 'rgb24');
    read.forEach((crop, i) => {
      const expected = fromVideo.yuvAsRgb[Math.floor(i / 2)]!;
      expect({ width: crop.width, height: crop.height }).toEqual({ width: 256, height: 256 });
      expect(crop.data.equals(expected.data)).toBe(true);
    });
  });

  it('gives back crops of video tagged BT.709 as the RGB of that matrix, not of BT.601', async () => {
    const bt709 = fromVideo.yuv.map((planes): Yuv420Image => ({ ...planes, matrix: 'bt709' }));
    const { read, format } = await roundTrip(bt709, 'lossless');
    expect(format).toBe('yuv420p-bt709-med');
    read.forEach((crop, i) => {
      expect(crop.data.equals(yuv420ToRgb(bt709[Math.floor(i / 2)]!).data)).toBe(true);
      expect(crop.data.equals(yuv420ToRgb(fromVideo.yuv[Math.floor(i / 2)]!).data)).toBe(false);
    });
  });

  it('stores crops cut from YUV frames in fewer bytes than the same faces cut from RGB frames', async () => {
    const yuv = await roundTrip(fromVideo.yuv, 'lossless');
    const rgb = await roundTrip(fromVideo.rgb, 'lossless');
    expect(rgb.format).toBe('webp');
    expect(yuv.packBytes).toBeLessThan(0.9 * rgb.packBytes);
  });

  it('keeps the planes of crops of odd sizes', async () => {
    const planes: Yuv420Image = { data: Buffer.alloc(7 * 5 + 2 * 4 * 3), width: 7, height: 5, format: 'yuv420p' };
    for (let i = 0; i < planes.data.length; i++) planes.data[i] = 16 + ((i * 37) % 220);
    const { read } = await roundTrip([planes], 'lossless');
    expect(read[0]!.data.equals(yuv420ToRgb(planes).data)).toBe(true);
  });

  it('refuses a pack of YUV crops cut short', async () => {
    const packs = new CropPacks('p/', 'lossless');
    await packs.add('f', fromVideo.yuv[0]!);
    const second = await packs.add('f', fromVideo.yuv[1]!);
    const [[, bytes]] = [...packs.objects()];
    await expect(unpackCrop(bytes!.subarray(0, bytes!.length - 10), second)).rejects.toThrow(PackedCropError);
    await expect(unpackCrop(bytes!, { ...second, offset: second.offset! + 1 })).rejects.toThrow(PackedCropError);
  });

  it('refuses a YUV crop that would inflate past the size its reference gives', async () => {
    const coded = deflateRawSync(Buffer.alloc(16 << 20));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(coded.length);
    const ref = { key: 'p/f.yuv', format: 'yuv420p-med' as const, width: 16, height: 16, offset: 0 };
    await expect(unpackCrop(Buffer.concat([length, coded]), ref)).rejects.toThrow(/larger than 16×16/);
  });

  it('refuses a pack cut short instead of reading a partial crop', async () => {
    const packs = new CropPacks('p/', 'lossless');
    await packs.add('f', crops[0]!);
    const second = await packs.add('f', crops[1]!);
    const [[, bytes]] = [...packs.objects()];
    await expect(unpackCrop(bytes!.subarray(0, bytes!.length - 10), second)).rejects.toThrow(PackedCropError);
  });
});
