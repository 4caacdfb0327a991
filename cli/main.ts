/**
 * The `deepsift` command. The process entry point (`bin/deepsift.js`) calls `main`,
 * which returns the exit status (see exit-codes.ts).
 */
import { Command, CommanderError, Option } from 'commander';
import { CONFIG_OPTIONS } from '../common';
import { CliError, EXIT } from './exit-codes';
import { runScan } from './scan-command';
import { runScoreFaces } from './score-faces-command';
import { runScoreLandmarks } from './score-landmarks-command';
import { runSubmit } from './submit-command';
import { runWorker, WORKER_STAGES } from './worker-command';
import { runWeightsFetch, runWeightsList, runWeightsVerify } from './weights-command';
import { DEEPSIFT_VERSION } from './version';

function buildProgram(): Command {
  const program = new Command('deepsift')
    .description('Sift deepfakes out of large volumes of video.')
    .version(DEEPSIFT_VERSION)
    .exitOverride()
    .showHelpAfterError();

  const scan = program
    .command('scan')
    .description('Analyse video files and folders (recursively) in one process; write one JSON report per video.')
    .argument('<paths...>', 'video files or folders')
    .option('-o, --out <dir>', 'folder for the reports (<videoId>.json)', 'deepsift-reports')
    .option('--json', 'print the array of reports on standard output', false)
    .option('-q, --quiet', 'no progress bar and no summary table', false);
  for (const option of CONFIG_OPTIONS.filter((o) => o.scope === 'all')) {
    scan.addOption(new Option(`--${option.flag} <value>`, `${option.description} [${option.env}]`));
  }
  scan.action(async (paths: string[], opts: Record<string, unknown>) => {
    const flags: Record<string, string | undefined> = {};
    for (const option of CONFIG_OPTIONS) flags[option.flag] = opts[camelCase(option.flag)] as string | undefined;
    process.exitCode = await runScan(paths, { out: String(opts.out), json: Boolean(opts.json), quiet: Boolean(opts.quiet), flags });
  });

  program
    .command('score-faces')
    .description('Score face images directly with one deepfake detector (P(fake)).')
    .requiredOption('-d, --detector <name>', 'detector manifest name, e.g. meso4-df')
    .option('--json', 'print [{ file, detector, score }] as JSON', false)
    .argument('<images...>', 'face images (any size; resized bilinearly to the detector input)')
    .action(async (images: string[], opts: { detector: string; json: boolean }) => {
      process.exitCode = await runScoreFaces(images, opts);
    });

  program
    .command('score-landmarks')
    .description('Score facial landmark sequences with one temporal detector: landmark files (LRNet text format: one frame per line, 136 values) or videos, whose landmarks are extracted and calibrated first.')
    .requiredOption('-d, --detector <name>', 'temporal detector manifest name, e.g. lrnet-dfo')
    .option('--json', 'print [{ file, detector, blockScores, videoScore, meanBlockScore }] as JSON', false)
    .option('--landmarks-out <dir>', 'write the landmarks extracted from videos there, as <name>.txt in LRNet text format')
    .argument('<files...>', 'landmark files (.txt) or videos')
    .action(async (files: string[], opts: { detector: string; json: boolean; landmarksOut?: string }) => {
      process.exitCode = await runScoreLandmarks(files, opts);
    });

  program
    .command('worker')
    .description('Run one stage (or all five) as a worker on RabbitMQ and S3, until SIGTERM.')
    .argument('<stage>', `${WORKER_STAGES.join(' | ')}`)
    .option('--detectors <names>', 'deepfake detectors this worker serves (detector-workers); default DEEPSIFT_DETECTORS')
    .action(async (stage: string, opts: { detectors?: string }) => {
      process.exitCode = await runWorker(stage, opts);
    });

  program
    .command('submit')
    .description('Submit one video to a running deployment: s3://bucket/key, an http(s) URL, or a local file (uploaded to uploads/).')
    .argument('<video>')
    .option('--detectors <names>', 'detectors to run (default: the deployment\'s)')
    .option('--priority <0-9>', 'job priority')
    .option('--correlation-id <id>', 'your id, echoed in the report and its announcement')
    .action(async (video: string, opts: { detectors?: string; priority?: string; correlationId?: string }) => {
      process.exitCode = await runSubmit(video, opts);
    });

  const weights = program.command('weights').description('Manage model weights: fetch, list, verify.');
  weights
    .command('fetch')
    .description('Download (or copy from DEEPSIFT_WEIGHTS_MIRROR), verify and convert models; all when none is named.')
    .argument('[models...]')
    .action(async (models: string[]) => {
      process.exitCode = await runWeightsFetch(models);
    });
  weights
    .command('list')
    .description('List known models and whether they are cached and verified.')
    .option('--json', 'as JSON', false)
    .action(async (opts: { json: boolean }) => {
      process.exitCode = await runWeightsList(opts.json);
    });
  weights
    .command('verify')
    .description('Re-hash cached model files; exit 3 when one is corrupt.')
    .argument('[models...]')
    .action(async (models: string[]) => {
      process.exitCode = await runWeightsVerify(models);
    });
  return program;
}

/** Runs the command line; resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = EXIT.ok;
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`deepsift: ${error.message}\n`);
      return error.exitCode;
    }
    const named = error as Error;
    if (named.name === 'UnknownModelError' || named.name === 'ConfigError') {
      process.stderr.write(`deepsift: ${named.message}\n`);
      return EXIT.usage;
    }
    if (named.name && /^(ChecksumError|DownloadError|ConversionError|WeightsConfigError|ManifestError)$/.test(named.name)) {
      process.stderr.write(`deepsift: ${named.message}\n`);
      return EXIT.infrastructure;
    }
    process.stderr.write(`deepsift: internal error: ${named.stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
