/**
 * Bounds on the work one untrusted video may cause. Checked before decoding:
 * size by `stat`, the rest from the probe; the probe bounds also cap how much
 * of the file ffprobe and ffmpeg read before they decide what it is.
 */
export interface VideoLimits {
  /** Largest accepted file, in bytes. */
  maxVideoBytes: number;
  /** Longest accepted duration, in seconds. */
  maxDurationSeconds: number;
  /** Largest accepted frame area, width × height in pixels (either orientation). */
  maxPixels: number;
  /** ffmpeg/ffprobe `-probesize`: bytes read to detect the container and streams. */
  probeSizeBytes: number;
  /** ffmpeg/ffprobe `-analyzeduration`: media time analysed to find stream parameters, in microseconds. */
  analyzeDurationUs: number;
}

/**
 * 2 GiB, one hour, 4096×2304 (covers UHD 3840×2160 and DCI 4K 4096×2160 in either
 * orientation), 5 MB probe and 5 s analysis (ffmpeg's own defaults).
 */
export const DEFAULT_VIDEO_LIMITS: Readonly<VideoLimits> = Object.freeze({
  maxVideoBytes: 2 * 1024 * 1024 * 1024,
  maxDurationSeconds: 3600,
  maxPixels: 4096 * 2304,
  probeSizeBytes: 5_000_000,
  analyzeDurationUs: 5_000_000,
});
