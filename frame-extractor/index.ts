/**
 * The frame-extractor library: probes an untrusted video file within limits
 * and decodes a uniform sample of its frames as RGB images with one ffmpeg run.
 */
export { DEFAULT_VIDEO_LIMITS, type VideoLimits } from './video-limits';
export { DEFAULT_FFMPEG_PATHS, type FfmpegPaths } from './ffmpeg-command';
export type { ToolLauncher, ToolProcess } from './tool-process';
export { createToolLauncher, HelperToolLauncher, ToolLauncherError } from './tool-launcher';
export { VIDEO_ERROR_CODES, VideoError, isVideoError, type VideoErrorCode, type VideoErrorDetails } from './video-error';
export { probeVideo, type ProbeOptions, type VideoProbe } from './probe-video';
export { sampleFrameIndices } from './frame-sampling';
export { clipWindows, DEFAULT_CLIP_COUNT, DEFAULT_CLIP_FRAMES, type ClipWindow } from './clip-sampling';
export { extractClips, type ClipFrame, type ExtractClipsOptions } from './extract-clips';
export {
  canCarryAsYuv420,
  DEFAULT_SAMPLED_FRAME_COUNT,
  extractFrames,
  extractFramesForDetection,
  type DetectionFrame,
  type ExtractFramesOptions,
  type FrameSize,
  type SampledFrame,
} from './extract-frames';
export { FrameExtractorStage, frameBlobKey, type FrameExtractorDeps, type FrameExtractorOptions } from './frame-extractor-stage';
