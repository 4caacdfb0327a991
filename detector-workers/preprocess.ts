/**
 * Turning face crops into a detector's input tensor, as its manifest says:
 * `value = (pixel * scale - mean[c]) / std[c]`, in the manifest's layout and channel order.
 */
import sharp from 'sharp';
import type { RawImage } from '../common';
import type { ManifestInput } from '../weights/manifest';

/** Resizes an image to the detector's input size (bilinear) when it is not already that size. */
export async function resizeForInput(image: RawImage, input: ManifestInput): Promise<RawImage> {
  if (image.width === input.width && image.height === input.height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(input.width, input.height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { data, width: input.width, height: input.height, channels: 3 };
}

/** A crop that does not fit the detector's input: the crop is at fault, not the model. */
export class CropShapeError extends Error {
  override readonly name = 'CropShapeError';
}

/**
 * Packs images (already at the input size) into one float32 batch tensor's data, written
 * whole into a buffer from `allocate` (e.g. the session's recycled inputs).
 * Returns the data and its dims.
 */
export function toInputTensor(
  images: RawImage[],
  input: ManifestInput,
  allocate: (length: number) => Float32Array = (length) => new Float32Array(length),
): { data: Float32Array; dims: number[] } {
  const { width, height } = input;
  const plane = width * height;
  const data = allocate(images.length * plane * 3);
  // Precompute per-channel affine terms: value = pixel * a[c] + b[c].
  const order = input.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const a = [0, 1, 2].map((c) => input.scale / input.std[c]!);
  const b = [0, 1, 2].map((c) => -input.mean[c]! / input.std[c]!);
  images.forEach((image, n) => {
    if (image.width !== width || image.height !== height) {
      throw new CropShapeError(`image is ${image.width}×${image.height}, the model takes ${width}×${height}`);
    }
    if (image.data.length !== plane * 3) {
      throw new CropShapeError(`image holds ${image.data.length} bytes, ${width}×${height} RGB takes ${plane * 3}`);
    }
    const src = image.data;
    const base = n * plane * 3;
    for (let c = 0; c < 3; c++) {
      const channel = order[c]!;
      const ac = a[c]!;
      const bc = b[c]!;
      if (input.layout === 'NHWC') {
        for (let p = 0; p < plane; p++) data[base + p * 3 + c] = src[p * 3 + channel]! * ac + bc;
      } else {
        const offset = base + c * plane;
        for (let p = 0; p < plane; p++) data[offset + p] = src[p * 3 + channel]! * ac + bc;
      }
    }
  });
  const dims = input.layout === 'NHWC' ? [images.length, height, width, 3] : [images.length, 3, height, width];
  return { data, dims };
}
