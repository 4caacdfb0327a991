/**
 * `deepsift eval DATASET`: measures the detectors on labelled videos — scanning what has
 * no report yet — and prints the metrics with bootstrap intervals; writes eval.json,
 * eval.md and charts with `--out`, and a calibration with `--calibrate`.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, resolveConfig, type DeepsiftConfig } from '../common';
import {
  EvaluationError,
  buildScoreTable,
  evaluate,
  evaluationCharts,
  evaluationMarkdown,
  evaluationTable,
  fitCalibration,
  loadLabelledDataset,
  measureCalibrated,
  type EvaluationResult,
  type ScoredVideo,
} from '../evaluation';
import { gatherReports } from './eval-reports';
import { CliError, EXIT } from './exit-codes';
import { detectorThresholds, weightsOptions } from './pipeline-models';
import { DEEPSIFT_VERSION } from './version';

/** The flags of `deepsift eval`, as commander parsed them. */
export interface EvalCommandOptions {
  labels?: string;
  out?: string;
  json: boolean;
  quiet: boolean;
  reports: string;
  calibrate?: string;
  targetFpr?: string;
  resamples?: string;
  seed?: string;
  /** Raw config flags by flag name (see CONFIG_OPTIONS). */
  flags: Record<string, string | undefined>;
}

/** Runs an evaluation; returns the exit status. */
export async function runEval(dataset: string, options: EvalCommandOptions): Promise<number> {
  const config = resolve(options.flags);
  const targetFpr = parseNumber(options.targetFpr, '--target-fpr', 0, 1);
  const resamples = parseNumber(options.resamples, '--resamples', 1, 1_000_000, true);
  const seed = parseNumber(options.seed, '--seed', 0, 2 ** 32 - 1, true);
  if (targetFpr !== undefined && options.calibrate === undefined) throw new CliError('--target-fpr needs --calibrate FILE', EXIT.usage);

  const labelled = await usage(() => loadLabelledDataset(dataset, options.labels));
  if (labelled.unlisted.length > 0 && !options.quiet) {
    const named = labelled.unlisted.slice(0, 10).join(', ') + (labelled.unlisted.length > 10 ? `, and ${labelled.unlisted.length - 10} more` : '');
    process.stderr.write(`deepsift: ${labelled.unlisted.length} video(s) under ${dataset} are not in ${options.labels} and are not measured: ${named}\n`);
  }
  const thresholds = await detectorThresholds(config.detectors, weightsOptions(config));
  const reportsDir = path.resolve(options.reports);
  await makeDir(reportsDir);
  const { reported, scanned, reused } = await gatherReports(labelled.videos, config, {
    reportsDir,
    showProgress: !options.quiet && process.stderr.isTTY === true,
  });

  const { rows, excluded } = buildScoreTable(reported, { detectors: config.detectors, ...(config.aggregation ? { aggregation: config.aggregation } : {}) });
  const result = usage(() =>
    evaluate(rows, excluded, {
      dataset,
      detectors: config.detectors,
      thresholds,
      ensembleThreshold: config.verdictThreshold,
      ...(resamples !== undefined ? { resamples } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(config.aggregation ? { aggregation: config.aggregation } : {}),
    }),
  );
  if (options.calibrate !== undefined) {
    result.calibration = await writeCalibration(options.calibrate, rows, result, config, dataset, targetFpr);
  }

  if (options.out !== undefined) await writeOutputs(path.resolve(options.out), result);
  if (options.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (!options.quiet) {
    process.stderr.write(evaluationTable(result) + '\n');
    if (result.calibration) process.stderr.write(calibrationLine(result) + '\n');
    process.stderr.write(`reports: ${reused} reused, ${scanned} scanned, in ${reportsDir}\n`);
    if (options.out !== undefined) process.stderr.write(`eval.json, eval.md and charts in ${path.resolve(options.out)}\n`);
  }
  return EXIT.ok;
}

async function writeCalibration(
  file: string,
  rows: ScoredVideo[],
  result: EvaluationResult,
  config: DeepsiftConfig,
  dataset: string,
  targetFpr: number | undefined,
): Promise<NonNullable<EvaluationResult['calibration']>> {
  const calibration = fitCalibration(rows, {
    detectors: config.detectors,
    ...(targetFpr !== undefined ? { targetFpr } : {}),
    seed: result.bootstrap.seed,
    dataset,
    aggregation: config.aggregation ?? null,
    framesPerVideo: config.framesPerVideo,
    deepsiftVersion: DEEPSIFT_VERSION,
  });
  const bytes = JSON.stringify(calibration, null, 2) + '\n';
  const target = path.resolve(file);
  await makeDir(path.dirname(target));
  await writeFile(target, bytes);
  return {
    file: target,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    thresholdMethod: targetFpr === undefined ? 'youden' : `target-fpr ${targetFpr}`,
    stackerCrossValidatedAuc: calibration.ensemble?.crossValidatedAuc ?? null,
    meanEnsembleAuc: calibration.ensemble?.meanEnsembleAuc ?? result.ensemble.auc!.value,
    metrics: measureCalibrated(rows, calibration, { resamples: result.bootstrap.resamples, seed: result.bootstrap.seed }),
  };
}

async function writeOutputs(outDir: string, result: EvaluationResult): Promise<void> {
  await makeDir(outDir);
  // Vega is loaded only here: it takes ~0.3 s, which every other command would pay.
  const { renderChart } = require('../evaluation/chart-renderer') as typeof import('../evaluation/chart-renderer');
  const charts: string[] = [];
  for (const [stem, spec] of Object.entries(evaluationCharts(result))) {
    const { svg, png } = await renderChart(spec);
    await writeFile(path.join(outDir, `${stem}.svg`), svg);
    await writeFile(path.join(outDir, `${stem}.png`), png);
    charts.push(`${stem}.png`);
  }
  await writeFile(path.join(outDir, 'eval.json'), JSON.stringify(result, null, 2) + '\n');
  await writeFile(path.join(outDir, 'eval.md'), evaluationMarkdown(result, charts));
}

function calibrationLine(result: EvaluationResult): string {
  const c = result.calibration!;
  const after = Object.entries(c.metrics.detectors).map(([d, m]) => `${d} ${m.accuracy.value.toFixed(3)}`);
  return [
    `calibration (${c.thresholdMethod}) written to ${c.file} (sha256 ${c.sha256.slice(0, 12)}…)`,
    `  stacker cross-validated AUC ${c.stackerCrossValidatedAuc?.toFixed(3) ?? '-'} vs mean ensemble AUC ${c.meanEnsembleAuc.toFixed(3)}`,
    `  accuracy after calibration, on these videos (in-sample): ${after.join(', ')}, ensemble (stacker) ${c.metrics.ensemble.accuracy.value.toFixed(3)}`,
  ].join('\n');
}

function resolve(flags: Record<string, string | undefined>): DeepsiftConfig {
  try {
    return resolveConfig(process.env, flags);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

function parseNumber(raw: string | undefined, flag: string, min: number, max: number, integer = false): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new CliError(`invalid ${flag}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${raw}"`, EXIT.usage);
  }
  return value;
}

/** Runs `work`, turning an EvaluationError (bad labels, one class) into a usage error (exit 2). */
function usage<T>(work: () => T): T {
  const asUsage = (error: unknown): never => {
    if (error instanceof EvaluationError) throw new CliError(`${error.message} [${error.code}]`, EXIT.usage, { cause: error });
    throw error;
  };
  try {
    const result = work();
    return (result instanceof Promise ? result.catch(asUsage) : result) as T;
  } catch (error) {
    return asUsage(error);
  }
}

async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new CliError(`cannot create the folder ${dir}: ${(error as Error).message}`, EXIT.infrastructure);
  }
}
