/**
 * Names of the crop variants the face-cropper makes: one per (input size, margin) that
 * the requested detectors need, so detectors sharing a crop format share its pixels.
 */
export function cropBlobKey(size: number, margin: number): string {
  return `${size}px-m${Math.round(margin * 1000)}`;
}
