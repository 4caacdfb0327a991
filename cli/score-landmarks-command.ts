/**
 * `deepsift score-landmarks`: score landmark sequences with one temporal detector. A file is
 * either landmarks in upstream LRNet's text format (one frame per line, 136 values), e.g. to
 * check deepsift's LRNet against upstream's own landmarks, or a video, whose landmarks are
 * extracted and calibrated first (see face-cropper/landmarks): from every frame, or with
 * `--clips` from a few dense clips only (the temporal path's far cheaper sample).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, resolveConfig, type DeepsiftConfig } from '../common';
import { LandmarkFileError, OnnxTemporalDetector, parseLandmarkText, type LandmarkSequence, type LandmarkVideoScores } from '../detector-workers';
import { DEFAULT_FFMPEG_PATHS, DEFAULT_VIDEO_LIMITS, probeVideo, type VideoProbe } from '../frame-extractor';
import { extractVideoLandmarks, videoClipLandmarks, type ClipLandmarkDeps } from '../face-cropper/landmarks';
import { VIDEO_EXTENSIONS } from '../ingest';
import { ensureModel } from '../weights';
import { CliError, EXIT } from './exit-codes';
import { loadFaceDetector, loadLandmarkModels, weightsOptions } from './pipeline-models';

export interface ScoreLandmarksOptions {
  detector: string;
  json: boolean;
  /** Folder where the landmarks extracted from videos are written, in upstream's text format. */
  landmarksOut?: string;
  /** Videos: landmarks of this many dense clips of this many frames (`4x61`) instead of every frame. */
  clips?: string;
  /** Videos: the landmark net, `faceapi` or `facemesh` (default DEEPSIFT_LANDMARK_MODEL). */
  landmarkModel?: string;
}

/** Clips per video and frames per clip, from `--clips COUNTxFRAMES`. */
interface ClipChoice {
  count: number;
  frames: number;
}

/** What one file gives to score: its sequences (one, or one per clip with a face). */
interface FileSequences {
  sequences: LandmarkSequence[];
  /** Why a video gave no sequence at all, said on standard error. */
  noSequence?: string;
}

/** One scored file, as `--json` prints it. */
export interface LandmarkScoreLine extends LandmarkVideoScores {
  file: string;
  detector: string;
}

/** Reads every landmark file first (a bad one fails before any model loads), extracts the videos', then scores them in order. */
export async function runScoreLandmarks(files: string[], options: ScoreLandmarksOptions): Promise<number> {
  if (files.length === 0) throw new CliError('name at least one landmark file or video', EXIT.usage);
  const config = resolveConfig(process.env, { 'landmark-model': options.landmarkModel });
  const clips = options.clips === undefined ? undefined : parseClips(options.clips);
  const sequences: Array<FileSequences | undefined> = [];
  for (const file of files) sequences.push(isVideo(file) ? undefined : oneSequence(await readLandmarkFile(file)));
  const videos = files.filter(isVideo);
  if (videos.length > 0) {
    const extracted = await extractVideos(videos, config, options.landmarksOut, clips);
    files.forEach((file, index) => {
      if (isVideo(file)) sequences[index] = extracted.get(file);
    });
  }
  const model = await ensureModel(options.detector, weightsOptions(config)).catch((error: Error) => {
    throw new CliError(`cannot load ${options.detector}: ${error.message}`, error.name === 'UnknownModelError' ? EXIT.usage : EXIT.infrastructure);
  });
  if (model.manifest.kind !== 'temporal-detector') {
    throw new CliError(`"${options.detector}" is not a temporal detector (one that scores landmark sequences, e.g. lrnet-dfo)`, EXIT.usage);
  }
  const detector = await OnnxTemporalDetector.create(model.manifest, model.onnxPath, model.sha256, {
    executionProviders: config.executionProviders,
    intraOpThreads: config.intraOpThreads,
  });
  try {
    const lines: LandmarkScoreLine[] = [];
    for (const [index, given] of (sequences as FileSequences[]).entries()) {
      const file = files[index]!;
      const scores = await detector.scoreSequences(given.sequences);
      if (scores.blockScores.length === 0) {
        const frames = given.sequences.map((sequence) => sequence.frames).join(', ');
        const why = given.noSequence ?? `${frames} frames, fewer than the ${detector.blockFrames + 1} one block needs`;
        process.stderr.write(`deepsift: ${file}: ${why}; not scored\n`);
      }
      lines.push({ file, detector: options.detector, ...scores });
    }
    if (options.json) process.stdout.write(JSON.stringify(lines, null, 2) + '\n');
    else for (const line of lines) process.stdout.write(formatLine(line));
    return EXIT.ok;
  } finally {
    await detector.close();
  }
}

function isVideo(file: string): boolean {
  return VIDEO_EXTENSIONS.has(path.extname(file).toLowerCase());
}

/** A landmark file's or a whole video's one sequence. */
function oneSequence(sequence: LandmarkSequence): FileSequences {
  return { sequences: [sequence] };
}

function parseClips(value: string): ClipChoice {
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) throw new CliError(`--clips: expected COUNTxFRAMES such as 4x61, got "${value}"`, EXIT.usage);
  return { count: Number(match[1]), frames: Number(match[2]) };
}

/** Extracts the calibrated landmarks of each video (the configured face detector and landmark net, OpenCV). */
async function extractVideos(videos: string[], config: DeepsiftConfig, landmarksOut: string | undefined, clips: ClipChoice | undefined): Promise<Map<string, FileSequences>> {
  const logger = createLogger({ level: config.logLevel });
  // The same face detector, landmark net and OpenCV as the pipeline's temporal path.
  const [{ detector: faceDetector }, { landmarker, cv }] = await Promise.all([loadFaceDetector(config, logger), loadLandmarkModels(config, logger)]).catch(
    (error: Error) => {
      throw new CliError(`cannot load the landmark models: ${error.message}`, EXIT.infrastructure);
    },
  );
  const sequences = new Map<string, FileSequences>();
  try {
    for (const video of videos) {
      const probe = await probeVideo(video, DEFAULT_VIDEO_LIMITS).catch((error: Error) => {
        throw new CliError(`cannot read video ${video}: ${error.message}`, EXIT.usage);
      });
      if (clips !== undefined) {
        sequences.set(video, await clipSequences(video, probe, clips, { faceDetector, landmarker, cv }, config, landmarksOut));
        continue;
      }
      const landmarks = await extractVideoLandmarks(video, probe.width, probe.height, { faceDetector, landmarker, cv, ffmpegPath: config.ffmpegPath });
      if (landmarks.frames === 0) process.stderr.write(`deepsift: ${video}: no face found\n`);
      sequences.set(video, oneSequence({ frames: landmarks.frames, values: landmarks.values }));
      if (landmarksOut !== undefined) {
        await mkdir(landmarksOut, { recursive: true });
        await writeFile(path.join(landmarksOut, `${path.basename(video, path.extname(video))}.txt`), formatLandmarkText(landmarks.values));
      }
    }
  } finally {
    await Promise.all([faceDetector.close(), landmarker.close()]);
  }
  return sequences;
}

/** The landmark sequences of a video's dense clips that have a face; each written to `<name>-clip<k>.txt` when asked. */
async function clipSequences(
  video: string,
  probe: VideoProbe,
  clips: ClipChoice,
  deps: ClipLandmarkDeps,
  config: DeepsiftConfig,
  landmarksOut: string | undefined,
): Promise<FileSequences> {
  // One face per clip, the largest, as upstream's landmark files follow one face per video.
  const options = { clipCount: clips.count, clipFrames: clips.frames, maxFaces: 1, limits: DEFAULT_VIDEO_LIMITS, ffmpegPaths: { ...DEFAULT_FFMPEG_PATHS, ffmpegPath: config.ffmpegPath } };
  const results = await videoClipLandmarks(video, probe, options, deps);
  const sequences: LandmarkSequence[] = [];
  for (const [index, clip] of results.entries()) {
    if (!('values' in clip)) continue;
    sequences.push(clip);
    if (landmarksOut !== undefined) {
      await mkdir(landmarksOut, { recursive: true });
      await writeFile(path.join(landmarksOut, `${path.basename(video, path.extname(video))}-clip${index}.txt`), formatLandmarkText(clip.values));
    }
  }
  if (sequences.length > 0) return { sequences };
  const reasons = results.flatMap((clip) => ('reason' in clip ? [clip.reason] : []));
  return { sequences, noSequence: results.length === 0 ? `${probe.frameCount} frames, shorter than one clip of ${clips.frames}` : `no clip with a face (${reasons.join(', ')})` };
}

/** Upstream's format (`np.savetxt(..., fmt='%1.5f')`): one frame per line. */
function formatLandmarkText(values: Float32Array): string {
  const lines: string[] = [];
  for (let start = 0; start < values.length; start += 136) {
    lines.push(Array.from(values.subarray(start, start + 136), (value) => value.toFixed(5)).join(' '));
  }
  return lines.map((line) => `${line}\n`).join('');
}

async function readLandmarkFile(file: string): Promise<LandmarkSequence> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read landmark file ${file}: ${(error as Error).message}`, EXIT.usage);
  }
  try {
    return parseLandmarkText(text, file);
  } catch (error) {
    if (error instanceof LandmarkFileError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/** `mean 0.1706  fake blocks 0.04 (1/25)  file` for people. */
function formatLine(line: LandmarkScoreLine): string {
  if (line.meanBlockScore === null || line.videoScore === null) return `   -                         ${line.file}\n`;
  const fakeBlocks = line.blockScores.filter((score) => score >= 0.5).length;
  return `mean ${line.meanBlockScore.toFixed(4)}  fake blocks ${line.videoScore.toFixed(2)} (${fakeBlocks}/${line.blockScores.length})  ${line.file}\n`;
}
