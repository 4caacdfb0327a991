/**
 * YUV 4:2:0 to RGB for a region of a frame, as ffmpeg's `format=rgb24` converts a YUV 4:2:0
 * stream (swscale's unscaled path): limited range, BT.601 unless the video is tagged BT.709
 * (swscale follows the tag), each chroma sample shared by its 2×2 block of pixels. Only the
 * pixels of a face crop are converted, never the whole frame unless asked. Shared by the face
 * cropper, which cuts the crops, and the crop packs that the detector workers read them from.
 */
import { yuv420Bytes, yuv420Planes, type Box, type RawImage, type Yuv420Image, type YuvMatrix } from './raw-image';

/** 16-bit fixed-point coefficients of one matrix, rounding included. */
interface Coefficients {
  yGain: number;
  vToR: number;
  uToG: number;
  vToG: number;
  uToB: number;
  rOffset: number;
  gOffset: number;
  bOffset: number;
}

const SCALE = 1 << 16;
const fixed = (value: number): number => Math.round(value * SCALE);

/**
 * Least-squares fits of ffmpeg 5.1's rgb24 output (then tuned to the fewest differing values),
 * over random YUV samples covering the whole limited range and frames of the sample video:
 * within one level for 99.99 % of the values and never more than two, for either matrix.
 * swscale's SIMD code keeps fewer bits than the textbook matrix, whose values these are near.
 * (An earlier fit on the sample video alone was as close on skin tones but up to 7 levels off
 * on saturated colours.) `common/yuv-to-rgb.test.ts` checks them against ffmpeg.
 */
const COEFFICIENTS: Record<YuvMatrix, Coefficients> = {
  bt601: coefficients(1.16458, 1.59693, 0.39176, 0.81307, 2.01793, -0.4103, -0.9059, -0.4812),
  bt709: coefficients(1.16487, 1.7939, 0.21345, 0.53316, 2.11327, -0.47181, -0.96903, -0.39655),
};

function coefficients(yGain: number, vToR: number, uToG: number, vToG: number, uToB: number, rOffset: number, gOffset: number, bOffset: number): Coefficients {
  return {
    yGain: fixed(yGain),
    vToR: fixed(vToR),
    uToG: fixed(uToG),
    vToG: fixed(vToG),
    uToB: fixed(uToB),
    rOffset: fixed(rOffset),
    gOffset: fixed(gOffset),
    bOffset: fixed(bOffset),
  };
}

/** The pixels of `region` (integer corners inside the frame; the whole frame by default) as interleaved RGB. */
export function yuv420ToRgb(frame: Yuv420Image, region: Box = { x1: 0, y1: 0, x2: frame.width, y2: frame.height }): RawImage {
  const { width, height, data } = frame;
  if (data.length !== yuv420Bytes(width, height)) {
    throw new RangeError(`yuv420p frame data is ${data.length} bytes, expected ${yuv420Bytes(width, height)} for ${width}x${height}`);
  }
  const { x1, y1, x2, y2 } = region;
  if (!(Number.isInteger(x1) && Number.isInteger(y1) && x1 >= 0 && y1 >= 0 && x2 <= width && y2 <= height && x2 > x1 && y2 > y1)) {
    throw new RangeError(`region ${x1},${y1}-${x2},${y2} is not inside the ${width}x${height} frame`);
  }
  const { yGain, vToR, uToG, vToG, uToB, rOffset, gOffset, bOffset } = COEFFICIENTS[frame.matrix ?? 'bt601'];
  const outWidth = x2 - x1;
  const outHeight = y2 - y1;
  const out = Buffer.allocUnsafe(outWidth * outHeight * 3);
  const [, u, v] = yuv420Planes(width, height);
  const chromaWidth = u.width;
  const uPlane = u.start;
  const vPlane = v.start;
  let o = 0;
  for (let y = y1; y < y2; y++) {
    const yRow = y * width;
    const cRow = (y >> 1) * chromaWidth;
    for (let x = x1; x < x2; x++) {
      const luma = (data[yRow + x]! - 16) * yGain;
      const c = cRow + (x >> 1);
      const u = data[uPlane + c]! - 128;
      const v = data[vPlane + c]! - 128;
      out[o++] = clampByte((luma + vToR * v + rOffset) >> 16);
      out[o++] = clampByte((luma - uToG * u - vToG * v + gOffset) >> 16);
      out[o++] = clampByte((luma + uToB * u + bOffset) >> 16);
    }
  }
  return { data: out, width: outWidth, height: outHeight, channels: 3 };
}

function clampByte(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}
