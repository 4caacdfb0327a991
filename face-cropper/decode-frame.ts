/**
 * A frame as the face detector takes it (raw RGB) from what the work area holds: raw
 * frames as they are, JPEG or PNG frames (those that crossed the bucket) decoded by sharp.
 */
import sharp from 'sharp';
import type { BlobRef, RawImage } from '../common';

export async function decodeFrame(data: Buffer, blob: BlobRef): Promise<RawImage> {
  if (blob.format === 'rgb24') return { data, width: blob.width, height: blob.height, channels: 3 };
  const { data: pixels, info } = await sharp(data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== blob.width || info.height !== blob.height) {
    throw new Error(`frame ${blob.key} decodes to ${info.width}×${info.height}, not ${blob.width}×${blob.height}`);
  }
  return { data: pixels, width: info.width, height: info.height, channels: 3 };
}
