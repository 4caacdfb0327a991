/**
 * The temporal path of one video in one process: its dense clips (frame-extractor's
 * clip-sampling.ts) are decoded in one ffmpeg run and each gives the landmark sequence of
 * its most prominent face (clip-landmarks.ts). One clip's face regions are held at a time.
 */
import { clipWindows, type ClipWindow } from '../../frame-extractor/clip-sampling';
import { extractClips, type ExtractClipsOptions } from '../../frame-extractor/extract-clips';
import type { VideoProbe } from '../../frame-extractor/probe-video';
import { ClipLandmarkBuilder, type ClipLandmarkDeps, type ClipLandmarks } from './clip-landmarks';

/** Which clips to take, and how to decode them. */
export interface VideoClipOptions extends ExtractClipsOptions {
  clipCount: number;
  clipFrames: number;
}

/** One clip's window and what its face gave. */
export type VideoClipLandmarks = ClipLandmarks & { window: ClipWindow };

/** The landmarks of each clip of the video at `filePath`; empty when it is shorter than one clip. */
export async function videoClipLandmarks(filePath: string, probe: VideoProbe, options: VideoClipOptions, deps: ClipLandmarkDeps): Promise<VideoClipLandmarks[]> {
  const windows = clipWindows(probe.frameCount, options.clipCount, options.clipFrames);
  const results: VideoClipLandmarks[] = [];
  let builder: ClipLandmarkBuilder | undefined;
  let current = -1;
  const finish = (): void => {
    if (builder !== undefined) results.push({ ...builder.finish(), window: windows[current]! });
  };
  for await (const frame of extractClips(filePath, probe, windows, options)) {
    if (frame.clip !== current) {
      finish();
      builder = new ClipLandmarkBuilder(deps);
      current = frame.clip;
    }
    await builder!.push(frame.image);
  }
  finish();
  return results;
}
