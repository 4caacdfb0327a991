/**
 * The reports `deepsift eval` measures: those already in the reports folder (by videoId,
 * when they hold every requested detector and were made with the same frames per video),
 * and a scan with the embedded pipeline for the rest, written to the same folder.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { reportSchemaErrors, type VideoReport } from '../aggregator';
import { createLogger, LocalStorage, PipelineMetrics, type DeepsiftConfig } from '../common';
import type { LabelledVideo, ReportedVideo } from '../evaluation';
import { hashFile } from '../ingest';
import { EmbeddedPipeline } from './embedded-pipeline';
import { CliError, EXIT } from './exit-codes';
import { closePipelineModels, loadPipelineModels } from './pipeline-models';
import { assertFfmpegPresent } from './scan-command';

/** Where reports are read and written, and whether to show a progress bar. */
export interface GatherOptions {
  reportsDir: string;
  showProgress: boolean;
}

/** Every labelled video with a report, and how many were scanned now vs reused. */
export async function gatherReports(
  videos: readonly LabelledVideo[],
  config: DeepsiftConfig,
  options: GatherOptions,
): Promise<{ reported: ReportedVideo[]; scanned: number; reused: number }> {
  const ids = new Map<string, string>();
  for (const video of videos) ids.set(video.path, (await hashFile(video.path)).sha256);
  const reports = new Map<string, VideoReport>();
  for (const videoId of new Set(ids.values())) {
    const report = await readReusableReport(path.join(options.reportsDir, `${videoId}.json`), config);
    if (report !== undefined) reports.set(videoId, report);
  }
  const reused = reports.size;
  // One scan per distinct content: the same bytes under two names are scanned once.
  const pending = new Set<string>();
  const missing = videos.filter((v) => {
    const videoId = ids.get(v.path)!;
    if (reports.has(videoId) || pending.has(videoId)) return false;
    pending.add(videoId);
    return true;
  });
  if (missing.length > 0) {
    for (const [input, report] of await scanVideos(missing, config, options)) reports.set(ids.get(input)!, report);
  }
  const reported = videos.map((video) => {
    const videoId = ids.get(video.path)!;
    return { video, videoId, report: reports.get(videoId)! };
  });
  return { reported, scanned: missing.length, reused };
}

async function readReusableReport(file: string, config: DeepsiftConfig): Promise<VideoReport | undefined> {
  let report: VideoReport;
  try {
    report = JSON.parse(await readFile(file, 'utf8')) as VideoReport;
  } catch {
    return undefined;
  }
  if (reportSchemaErrors(report).length > 0 || report.status !== 'done') return undefined;
  if (report.frames.requested !== config.framesPerVideo) return undefined;
  return config.detectors.every((d) => report.detectors[d] !== undefined) ? report : undefined;
}

async function scanVideos(videos: readonly LabelledVideo[], config: DeepsiftConfig, options: GatherOptions): Promise<Map<string, VideoReport>> {
  await assertFfmpegPresent([config.ffmpegPath, config.ffprobePath]);
  const logger = createLogger({ level: config.logLevel });
  let models;
  try {
    models = await loadPipelineModels(config, logger);
  } catch (error) {
    // An unknown model or a configuration the models cannot be loaded with is the user's to fix.
    const unknown = ['UnknownModelError', 'ConfigError'].includes((error as Error).name);
    throw new CliError(`cannot load the models: ${(error as Error).message}`, unknown ? EXIT.usage : EXIT.infrastructure, { cause: error });
  }
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'scanning [{bar}] {value}/{total} videos | {eta_formatted} left | {last}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  if (options.showProgress) bar.start(videos.length, 0, { last: '' });
  const metrics = new PipelineMetrics();
  try {
    // As in scan: the models are released even when the pipeline cannot start.
    const pipeline = await EmbeddedPipeline.create(config, { logger, metrics, reports: new LocalStorage(options.reportsDir), models });
    try {
      const results = await pipeline.scan(
        videos.map((v) => ({ uri: v.name, path: v.path })),
        (result) => {
          if (options.showProgress) bar.increment({ last: `${result.input.uri}: ${result.report.label ?? result.report.error?.code}` });
        },
      );
      return new Map(results.map((r) => [r.input.path, r.report]));
    } finally {
      await pipeline.close();
    }
  } finally {
    if (options.showProgress) bar.stop();
    await closePipelineModels(models);
  }
}
