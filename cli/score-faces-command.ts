/** `deepsift score-faces`: score face images directly with one detector. */
import sharp from 'sharp';
import { resolveConfig, type RawImage } from '../common';
import { OnnxDeepfakeDetector, resizeForInput } from '../detector-workers';
import { ensureModel } from '../weights';
import { CliError, EXIT } from './exit-codes';
import { weightsOptions } from './pipeline-models';

export interface ScoreFacesOptions {
  detector: string;
  json: boolean;
}

/** One scored image, as `--json` prints it. */
export interface FaceScoreLine {
  file: string;
  detector: string;
  /** P(fake). */
  score: number;
}

export async function runScoreFaces(files: string[], options: ScoreFacesOptions): Promise<number> {
  if (files.length === 0) throw new CliError('name at least one image', EXIT.usage);
  const config = resolveConfig(process.env, {});
  const model = await ensureModel(options.detector, weightsOptions(config)).catch((error: Error) => {
    throw new CliError(`cannot load ${options.detector}: ${error.message}`, error.name === 'UnknownModelError' ? EXIT.usage : EXIT.infrastructure);
  });
  if (model.manifest.kind !== 'deepfake-detector') throw new CliError(`"${options.detector}" is not a deepfake detector`, EXIT.usage);
  const detector = await OnnxDeepfakeDetector.create(model.manifest, model.onnxPath, model.sha256, {
    executionProviders: config.executionProviders,
    intraOpThreads: config.intraOpThreads,
  });
  try {
    const images: RawImage[] = [];
    for (const file of files) {
      let decoded: { data: Buffer; info: sharp.OutputInfo };
      try {
        decoded = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      } catch (error) {
        throw new CliError(`cannot read image ${file}: ${(error as Error).message}`, EXIT.usage);
      }
      const image: RawImage = { data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: 3 };
      images.push(await resizeForInput(image, model.manifest.input));
    }
    const scores = await detector.score(images);
    const lines: FaceScoreLine[] = files.map((file, i) => ({ file, detector: options.detector, score: scores[i]! }));
    if (options.json) process.stdout.write(JSON.stringify(lines, null, 2) + '\n');
    else for (const line of lines) process.stdout.write(`${line.score.toFixed(4)}  ${line.file}\n`);
    return EXIT.ok;
  } finally {
    await detector.close();
  }
}
