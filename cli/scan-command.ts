/** `deepsift scan`: analyse local videos in one process and write one report per video. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import {
  ConfigError,
  createLogger,
  LocalStorage,
  resolveConfig,
  type DeepsiftConfig,
  type Logger,
  type PipelineMetrics,
} from '../common';
import { createToolLauncher, type ToolLauncher } from '../frame-extractor';
import { calibrationMismatches, readCalibrationFile } from '../aggregator';
import { expandLocalInputs, VIDEO_EXTENSIONS, type LocalInput, type SkippedEntry } from '../ingest';
import { EmbeddedPipeline, type ScanResult } from './embedded-pipeline';
import { startCommandMetrics } from './command-metrics';
import { CliError, EXIT } from './exit-codes';
import { closePipelineModels, loadPipelineModels, type PipelineModels } from './pipeline-models';
import { summaryTable } from './summary-table';

const execFileAsync = promisify(execFile);

export interface ScanCommandOptions {
  out: string;
  json: boolean;
  quiet: boolean;
  /** Raw config flags by flag name (see CONFIG_OPTIONS). */
  flags: Record<string, string | undefined>;
}

/** What a scan runs with, once its configuration and inputs are settled. */
interface ScanContext {
  config: DeepsiftConfig;
  logger: Logger;
  metrics: PipelineMetrics;
  toolLauncher: ToolLauncher | undefined;
  /** Rejects with a CliError when ffmpeg or ffprobe does not run. */
  toolsPresent: Promise<void>;
}

/** Runs a scan; returns the exit status. */
export async function runScan(names: string[], options: ScanCommandOptions): Promise<number> {
  let config: DeepsiftConfig;
  try {
    config = resolveConfig(process.env, options.flags);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  if (names.length === 0) throw new CliError('nothing to scan: name at least one video file or folder', EXIT.usage);
  // A bad calibration file fails before any model is loaded (the pipeline reads it again when it starts).
  if (config.calibrationFile !== undefined) {
    const { calibration } = readCalibrationFile(config.calibrationFile);
    if (!options.quiet) {
      for (const warning of calibrationMismatches(calibration, config)) process.stderr.write(`deepsift: warning: calibration ${config.calibrationFile}: ${warning}\n`);
    }
  }
  // Checked while the models load (see scanWith): both take about a tenth of a second.
  const toolsPresent = assertFfmpegPresent([config.ffmpegPath, config.ffprobePath]);
  toolsPresent.catch(() => undefined);

  const logger = createLogger({ level: config.logLevel });
  const skipped: SkippedEntry[] = [];
  const inputs = await expandLocalInputs(names, { onSkipped: (entry) => skipped.push(entry) });
  for (const entry of skipped) logger.warn('Entry skipped.', { stage: 'ingest', uri: entry.uri, reason: entry.reason });
  if (inputs.length === 0) throw new CliError(noVideosMessage(names, skipped), EXIT.usage);

  const { metrics, metricsServer } = await startCommandMetrics(config, logger);
  // Whatever ends the scan, the metrics server closes with it: left listening, it would keep the process alive.
  try {
    const outDir = path.resolve(options.out);
    try {
      await mkdir(outDir, { recursive: true });
    } catch (error) {
      throw new CliError(`cannot create the output folder ${outDir}: ${(error as Error).message}`, EXIT.infrastructure);
    }

    // Started before the models load, while this process is small: its own fork is the only one.
    const toolLauncher = createToolLauncher(config.toolLauncher);
    try {
      return await scanWith(inputs, skipped, outDir, options, { config, logger, metrics, toolLauncher, toolsPresent });
    } finally {
      // Waited for, so that the tools' CPU time is counted in this process's children (GNU time, the bench).
      await toolLauncher?.close();
    }
  } finally {
    await metricsServer?.close();
  }
}

async function scanWith(
  inputs: LocalInput[],
  skipped: SkippedEntry[],
  outDir: string,
  options: ScanCommandOptions,
  { config, logger, metrics, toolLauncher, toolsPresent }: ScanContext,
): Promise<number> {
  const loading = loadPipelineModels(config, logger);
  // Its failure is handled below, once the tools are known to run; until then it must not count as unhandled.
  loading.catch(() => undefined);
  try {
    await toolsPresent;
  } catch (error) {
    // Said at once; the process ends when the models, still loading, are released.
    void loading.then(closePipelineModels).catch(() => undefined);
    throw error;
  }
  let models: PipelineModels;
  try {
    models = await loading;
  } catch (error) {
    const message = (error as Error).message;
    // An unknown model or a configuration the models cannot be loaded with is the user's to fix.
    const unknown = ['UnknownModelError', 'ConfigError'].includes((error as Error).name);
    throw new CliError(`cannot load the models: ${message}`, unknown ? EXIT.usage : EXIT.infrastructure, { cause: error });
  }

  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'scanning [{bar}] {value}/{total} videos | {eta_formatted} left | {last}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const showProgress = !options.quiet && process.stderr.isTTY === true;
  if (showProgress) bar.start(inputs.length, 0, { last: '' });

  let results: ScanResult[];
  try {
    // The models are released however this ends, a pipeline that cannot start included: their threads would keep the process alive.
    // Fewer videos than it may decode at once: each gets a larger share of the cores to decode
    // with (one video alone, ffmpeg's choice, all of them: ~0.5 s sooner for the sample on 2 cores).
    const pipelineConfig = { ...config, videoConcurrency: Math.min(config.videoConcurrency, inputs.length) };
    const pipeline = await EmbeddedPipeline.create(pipelineConfig, { logger, metrics, reports: new LocalStorage(outDir), models, toolLauncher });
    try {
      results = await pipeline.scan(inputs, (result) => {
        if (showProgress) bar.increment({ last: `${path.basename(result.input.uri)}: ${result.report.label ?? result.report.error?.code}` });
      });
    } finally {
      await pipeline.close();
    }
  } finally {
    if (showProgress) bar.stop();
    await closePipelineModels(models);
  }

  if (options.json) process.stdout.write(JSON.stringify(results.map((r) => r.report), null, 2) + '\n');
  if (!options.quiet) {
    process.stderr.write(summaryTable(results, config.detectors) + '\n');
    process.stderr.write(`${results.length} report(s) in ${outDir}\n`);
    if (skipped.length > 0) process.stderr.write(skippedList(skipped) + '\n');
  }
  return EXIT.ok;
}

/** Throws a CliError (exit 3) unless each tool runs. */
export async function assertFfmpegPresent(tools: string[]): Promise<void> {
  await Promise.all(
    tools.map(async (tool) => {
      try {
        await execFileAsync(tool, ['-version']);
      } catch {
        throw new CliError(`${tool} was not found on PATH; install ffmpeg (e.g. apt-get install ffmpeg)`, EXIT.infrastructure);
      }
    }),
  );
}

/** Why a scan has nothing to do, naming what was looked for and what was passed over. */
function noVideosMessage(names: string[], skipped: SkippedEntry[]): string {
  const message = `no videos to scan in ${names.join(', ')} (folders are searched for ${[...VIDEO_EXTENSIONS].join(' ')})`;
  return skipped.length === 0 ? message : `${message}\n${skippedList(skipped)}`;
}

/** The entries a scan passed over, one per line, for the end of the summary. */
function skippedList(skipped: SkippedEntry[]): string {
  return [`skipped ${skipped.length} entr${skipped.length === 1 ? 'y' : 'ies'}:`, ...skipped.map((e) => `  ${e.uri}: ${e.reason}`)].join('\n');
}
