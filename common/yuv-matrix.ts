/**
 * Which matrix turns a video's YUV samples into RGB (`yuv420ToRgb` knows BT.601 and BT.709),
 * and what frames and packed crops of each are called in messages. The names differ by
 * matrix so that a reader from before a matrix refuses its frames and crops as an invalid
 * message rather than converting them with the wrong one.
 */
import type { BlobRef } from './messages';
import type { YuvMatrix } from './raw-image';

/**
 * The matrix ffmpeg applies to a stream whose `color_space` (as ffprobe names it) is
 * `colorSpace`: BT.601 when untagged, as ffmpeg assumes; undefined for the matrices that
 * `yuv420ToRgb` does not have (BT.2020, `gbr`, …).
 */
export function yuvMatrixOf(colorSpace: string | undefined): YuvMatrix | undefined {
  if (colorSpace === undefined || ['unknown', 'bt470bg', 'smpte170m'].includes(colorSpace)) return 'bt601';
  if (colorSpace === 'bt709') return 'bt709';
  return undefined;
}

const FORMATS = {
  bt601: { frame: 'yuv420p', packedCrop: 'yuv420p-med' },
  bt709: { frame: 'yuv420p-bt709', packedCrop: 'yuv420p-bt709-med' },
} as const satisfies Record<YuvMatrix, { frame: BlobRef['format']; packedCrop: BlobRef['format'] }>;

/** How a stored YUV 4:2:0 frame of `matrix` is named (BT.601 when absent). */
export function yuvFrameFormat(matrix: YuvMatrix = 'bt601'): (typeof FORMATS)[YuvMatrix]['frame'] {
  return FORMATS[matrix].frame;
}

/** How a packed YUV crop (predicted, Huffman-coded planes) of `matrix` is named (BT.601 when absent). */
export function yuvPackedCropFormat(matrix: YuvMatrix = 'bt601'): (typeof FORMATS)[YuvMatrix]['packedCrop'] {
  return FORMATS[matrix].packedCrop;
}

/** The matrix of a stored YUV frame's `format`; undefined when the frame is not YUV. */
export function matrixOfYuvFrame(format: BlobRef['format']): YuvMatrix | undefined {
  return matrixWhere((formats) => formats.frame === format);
}

/** The matrix of a packed YUV crop's `format`; undefined when the crop is not YUV. */
export function matrixOfPackedYuvCrop(format: BlobRef['format']): YuvMatrix | undefined {
  return matrixWhere((formats) => formats.packedCrop === format);
}

function matrixWhere(matches: (formats: (typeof FORMATS)[YuvMatrix]) => boolean): YuvMatrix | undefined {
  return (Object.keys(FORMATS) as YuvMatrix[]).find((matrix) => matches(FORMATS[matrix]));
}
