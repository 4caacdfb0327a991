/**
 * The `deepsift` command. The process entry point (`bin/deepsift.js`) calls `main`,
 * which returns the exit status (see exit-codes.ts).
 */
import { Command, CommanderError, Option } from 'commander';
import { CONFIG_OPTIONS } from '../common/config';
import { CliError, EXIT } from './exit-codes';
import { quietAwsSdkNodeWarning } from './node-support';
import { DEEPSIFT_VERSION } from './version';
import { WORKER_STAGES } from './worker-stage-names';

/*
 * Each command's module is loaded when that command runs, not before: `deepsift --version`
 * loads no command (0.08 s instead of 0.54) and `deepsift scan` neither the HTTP server nor
 * what only other commands use. `require` here, not `import()`: these are CommonJS modules.
 */
const scanCommand = () => require('./scan-command') as typeof import('./scan-command');
const evalCommand = () => require('./eval-command') as typeof import('./eval-command');
const scoreFacesCommand = () => require('./score-faces-command') as typeof import('./score-faces-command');
const scoreLandmarksCommand = () => require('./score-landmarks-command') as typeof import('./score-landmarks-command');
const workerCommand = () => require('./worker-command') as typeof import('./worker-command');
const submitCommand = () => require('./submit-command') as typeof import('./submit-command');
const serveCommand = () => require('./serve-command') as typeof import('./serve-command');
const weightsCommand = () => require('./weights-command') as typeof import('./weights-command');

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
    process.exitCode = await scanCommand().runScan(paths, { out: String(opts.out), json: Boolean(opts.json), quiet: Boolean(opts.quiet), flags });
  });

  const evaluation = program
    .command('eval')
    .description('Measure the detectors on labelled videos (real/ and fake/ folders, or --labels): metrics with 95 % bootstrap intervals, charts, calibration.')
    .argument('<dataset>', 'folder of labelled videos')
    .option('--labels <file>', 'labels: a CSV (path,label[,subset]; REAL/FAKE or 0/1) or a DFDC metadata.json; paths relative to the dataset')
    .option('--reports <dir>', 'reports to reuse by videoId; videos without one are scanned and their reports written here', 'deepsift-reports')
    .option('-o, --out <dir>', 'write eval.json, eval.md and charts (PNG and SVG) here')
    .option('--json', 'print the evaluation as JSON on standard output', false)
    .option('-q, --quiet', 'no progress bar and no table', false)
    .option('--calibrate <file>', 'fit thresholds, Platt scalings and an ensemble stacker on this dataset; write them here (for scan --calibration)')
    .option('--target-fpr <rate>', 'with --calibrate: thresholds for this false positive rate instead of Youden\'s J')
    .option('--resamples <n>', 'bootstrap resamples for the 95 % intervals (default 1000)')
    .option('--seed <n>', 'bootstrap seed (default 20181)');
  for (const option of CONFIG_OPTIONS.filter((o) => o.scope === 'all')) {
    evaluation.addOption(new Option(`--${option.flag} <value>`, `${option.description} [${option.env}]`));
  }
  evaluation.action(async (dataset: string, opts: Record<string, unknown>) => {
    const flags: Record<string, string | undefined> = {};
    for (const option of CONFIG_OPTIONS) flags[option.flag] = opts[camelCase(option.flag)] as string | undefined;
    const text = (key: string) => (opts[key] === undefined ? undefined : String(opts[key]));
    process.exitCode = await evalCommand().runEval(dataset, {
      labels: text('labels'),
      out: text('out'),
      json: Boolean(opts.json),
      quiet: Boolean(opts.quiet),
      reports: String(opts.reports),
      calibrate: text('calibrate'),
      targetFpr: text('targetFpr'),
      resamples: text('resamples'),
      seed: text('seed'),
      flags,
    });
  });

  program
    .command('score-faces')
    .description('Score face images directly with one deepfake detector (P(fake)).')
    .requiredOption('-d, --detector <name>', 'detector manifest name, e.g. meso4-df')
    .option('--json', 'print [{ file, detector, score }] as JSON', false)
    .argument('<images...>', 'face images (any size; resized bilinearly to the detector input)')
    .action(async (images: string[], opts: { detector: string; json: boolean }) => {
      process.exitCode = await scoreFacesCommand().runScoreFaces(images, opts);
    });

  program
    .command('score-landmarks')
    .description('Score facial landmark sequences with one temporal detector: landmark files (LRNet text format: one frame per line, 136 values) or videos, whose landmarks are extracted and calibrated first.')
    .requiredOption('-d, --detector <name>', 'temporal detector manifest name, e.g. lrnet-dfo')
    .option('--json', 'print [{ file, detector, blockScores, videoScore, meanBlockScore }] as JSON', false)
    .option('--landmarks-out <dir>', 'write the landmarks extracted from videos there, as <name>.txt (<name>-clip<k>.txt with --clips) in LRNet text format')
    .option('--clips <COUNTxFRAMES>', 'videos: landmarks of COUNT dense clips of FRAMES frames spread over the video (e.g. 4x61) instead of every frame; far cheaper')
    .option('--landmark-model <name>', 'videos: the landmark net, faceapi or facemesh (default DEEPSIFT_LANDMARK_MODEL, faceapi)')
    .argument('<files...>', 'landmark files (.txt) or videos')
    .action(async (files: string[], opts: { detector: string; json: boolean; landmarksOut?: string; clips?: string; landmarkModel?: string }) => {
      process.exitCode = await scoreLandmarksCommand().runScoreLandmarks(files, opts);
    });

  program
    .command('worker')
    .description('Run one stage, a group of adjacent stages (e.g. frame-extractor,face-cropper) or all five as a worker on RabbitMQ and S3, until SIGTERM.')
    .argument('<stage>', `${WORKER_STAGES.join(' | ')}, or adjacent stages joined by commas`)
    .option('--detectors <names>', 'deepfake detectors this worker serves (detector-workers); default DEEPSIFT_DETECTORS')
    .action(async (stage: string, opts: { detectors?: string }) => {
      process.exitCode = await workerCommand().runWorker(stage, opts);
    });

  program
    .command('submit')
    .description('Submit one video to a running deployment: s3://bucket/key, an http(s) URL, or a local file (uploaded to uploads/).')
    .argument('<video>')
    .option('--detectors <names>', 'detectors to run (default: the deployment\'s)')
    .option('--priority <0-9>', 'job priority')
    .option('--correlation-id <id>', 'your id, echoed in the report and its announcement')
    .action(async (video: string, opts: { detectors?: string; priority?: string; correlationId?: string }) => {
      process.exitCode = await submitCommand().runSubmit(video, opts);
    });

  program
    .command('serve')
    .description('Serve the HTTP API and the web app, on the embedded pipeline or (--distributed) a running deployment.')
    .option('--host <address>', 'address to listen on [DEEPSIFT_SERVE_HOST, default 127.0.0.1]')
    .option('--port <port>', 'port to listen on, 0 for any free one [DEEPSIFT_SERVE_PORT, default 8080]')
    .option('--no-auth', 'no API keys (allowed only on loopback)')
    .option('--distributed', 'publish jobs to the running deployment (RabbitMQ, S3) instead of analysing in this process', false)
    .action(async (opts: { host?: string; port?: string; auth: boolean; distributed: boolean }) => {
      process.exitCode = await serveCommand().runServe(opts);
    });

  const weights = program.command('weights').description('Manage model weights: fetch, list, show, verify.');
  weights
    .command('fetch')
    .description('Download (or copy from DEEPSIFT_WEIGHTS_MIRROR), verify and convert models; all when none is named.')
    .argument('[models...]')
    .action(async (models: string[]) => {
      process.exitCode = await weightsCommand().runWeightsFetch(models);
    });
  weights
    .command('list')
    .description('List known models and whether they are cached and verified.')
    .option('--json', 'as JSON', false)
    .action(async (opts: { json: boolean }) => {
      process.exitCode = await weightsCommand().runWeightsList(opts.json);
    });
  weights
    .command('show')
    .description('Show one model\'s full card, its files and whether they are cached.')
    .argument('<model>')
    .option('--json', 'as JSON', false)
    .action(async (model: string, opts: { json: boolean }) => {
      process.exitCode = await weightsCommand().runWeightsShow(model, opts.json);
    });
  weights
    .command('verify')
    .description('Re-hash cached model files; exit 3 when one is corrupt.')
    .argument('[models...]')
    .action(async (models: string[]) => {
      process.exitCode = await weightsCommand().runWeightsVerify(models);
    });
  return program;
}

/** Runs the command line; resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = EXIT.ok;
  quietAwsSdkNodeWarning();
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
    if (['UnknownModelError', 'ConfigError', 'CalibrationError', 'EvaluationError'].includes(named.name)) {
      process.stderr.write(`deepsift: ${named.message}\n`);
      return EXIT.usage;
    }
    if (named.name && /^(ChecksumError|DownloadError|ConversionError|WeightsConfigError|ManifestError|ModelMismatchError)$/.test(named.name)) {
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
