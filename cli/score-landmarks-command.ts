/**
 * `deepsift score-landmarks`: score landmark sequences in upstream LRNet's text format
 * (one frame per line, 136 values) with one temporal detector, e.g. to check deepsift's
 * LRNet against upstream's own extracted landmarks.
 */
import { readFile } from 'node:fs/promises';
import { resolveConfig } from '../common';
import { LandmarkFileError, OnnxTemporalDetector, parseLandmarkText, type LandmarkSequence, type LandmarkVideoScores } from '../detector-workers';
import { ensureModel } from '../weights';
import { CliError, EXIT } from './exit-codes';
import { weightsOptions } from './pipeline-models';

export interface ScoreLandmarksOptions {
  detector: string;
  json: boolean;
}

/** One scored file, as `--json` prints it. */
export interface LandmarkScoreLine extends LandmarkVideoScores {
  file: string;
  detector: string;
}

/** Reads every file first (a bad one fails before any model loads), then scores them in order. */
export async function runScoreLandmarks(files: string[], options: ScoreLandmarksOptions): Promise<number> {
  if (files.length === 0) throw new CliError('name at least one landmark file', EXIT.usage);
  const sequences: LandmarkSequence[] = [];
  for (const file of files) sequences.push(await readLandmarkFile(file));
  const config = resolveConfig(process.env, {});
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
    for (const [index, sequence] of sequences.entries()) {
      const file = files[index]!;
      const scores = await detector.scoreSequence(sequence);
      if (scores.blockScores.length === 0) {
        process.stderr.write(`deepsift: ${file}: ${sequence.frames} frames, fewer than the ${detector.blockFrames + 1} one block needs; not scored\n`);
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
