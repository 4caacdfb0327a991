/**
 * How sampled frames are stored when they cross the bucket to a face cropper in another
 * process: raw RGB is 6.2 MB per 1080p frame; JPEG at quality 95 is about 0.3 MB and moves
 * the detectors' video scores by little (measured: see README, "What crosses S3").
 * Frames that stay in one process (`scan`, a stage group) are never encoded.
 */
import sharp from 'sharp';
import type { BlobRef, RawImage } from '../common';

/** `raw` (rgb24), `jpeg` (lossy, with a quality) or `png` (lossless). */
export type FrameEncoding = 'raw' | 'jpeg' | 'png';

export interface FrameEncodingOptions {
  encoding: FrameEncoding;
  /** JPEG quality, 1–100. */
  jpegQuality: number;
}

/** The bytes to store for a frame, and its reference's format. */
export async function encodeFrame(image: RawImage, options: FrameEncodingOptions): Promise<{ data: Buffer; format: BlobRef['format'] }> {
  if (options.encoding === 'raw') return { data: image.data, format: 'rgb24' };
  const input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (options.encoding === 'png') return { data: await input.png({ compressionLevel: 1 }).toBuffer(), format: 'png' };
  // 4:4:4 chroma: faces keep their colour edges, which the detectors look at.
  return { data: await input.jpeg({ quality: options.jpegQuality, chromaSubsampling: '4:4:4' }).toBuffer(), format: 'jpeg' };
}

/** The file extension of a stored frame. */
export function frameExtension(encoding: FrameEncoding): string {
  return encoding === 'raw' ? 'rgb' : encoding === 'jpeg' ? 'jpg' : 'png';
}
