/**
 * The aggregator stage: records what the face-cropper and every detector sent about a
 * video in the work area, writes the report once all has arrived (a failed report at the
 * first failure; a partial one when detectors stay silent past a timeout), announces it,
 * and empties the video's work area. Its state lives in storage, not in the process, so a
 * restarted aggregator (or another instance) carries on.
 */
import {
  consumeAsStage,
  createEnvelope,
  DEFAULT_RETRY_POLICY,
  KeyedLock,
  QUEUES,
  ROUTING,
  type AnyEnvelope,
  type Logger,
  type StageDeps,
  type Storage,
  type Subscription,
  workPrefix,
} from '../common';
import { buildDoneReport, buildFailedReport, type ReportSettings } from './build-report';
import { reportKey, reportSchemaErrors, type VideoReport } from './report';
import { VideoPartsStore, type AnalysisId, type VideoParts } from './video-parts';

export interface AggregatorDeps extends StageDeps {
  /** Where reports are written, as `<reportPrefix><videoId>.json`. */
  reports: Storage;
  /** Key prefix of reports: `reports/` in a bucket, empty in a local output folder. */
  reportPrefix: string;
  /** The work area: the aggregator's parts and each analysis's `work/<videoId>/<correlationId>/` prefix. */
  work: Storage;
  /**
   * Tells the world a report is written. Default: a `report.ready` message on the transport
   * (embedded mode); workers announce on the broker's results exchange instead.
   */
  announce?: (announcement: ReportAnnouncement) => Promise<void>;
}

/** What is announced when a report is written. */
export interface ReportAnnouncement {
  videoId: string;
  correlationId: string;
  reportKey: string;
  status: VideoReport['status'];
  label: VideoReport['label'];
  score: VideoReport['score'];
  source: VideoReport['source'];
  error?: VideoReport['error'];
}

export interface AggregatorOptions {
  /** Messages handled at once. */
  prefetch: number;
  /** A video whose faces arrived this long ago without every detector's scores gets a partial report. */
  partialReportTimeoutMs: number;
  /** How often to look for such videos; 0 disables the sweep (embedded mode). */
  sweepIntervalMs: number;
}

/** What the aggregator takes: face summaries, detector scores and failures. */
const AGGREGATOR_INPUTS = ['video.faces', 'video.scores', 'video.failed'] as const;
type AggregatorInput = (typeof AGGREGATOR_INPUTS)[number];

/** Videos remembered as finished, so that late messages about them are ignored. */
const FINISHED_MEMORY = 10_000;

export class AggregatorStage {
  private readonly parts: VideoPartsStore;
  private readonly finished = new Set<string>();
  /** One message per video at a time, so that a report is written once. */
  private readonly perVideo = new KeyedLock();
  private subscription: Subscription | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly deps: AggregatorDeps,
    private readonly settings: ReportSettings,
    private readonly options: AggregatorOptions,
  ) {
    this.parts = new VideoPartsStore(deps.work);
  }

  async start(): Promise<void> {
    this.subscription = await consumeAsStage(this.deps, 'aggregator', QUEUES.aggregator, AGGREGATOR_INPUTS, (e, log) => this.perVideo.run(e.videoId, () => this.handle(e, log)), {
      prefetch: this.options.prefetch,
      retryPolicy: DEFAULT_RETRY_POLICY,
    });
    if (this.options.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => {
        this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
      }, this.options.sweepIntervalMs);
    }
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.subscription?.cancel();
    await this.sweeping;
  }

  /** Writes partial reports for videos whose detectors stayed silent past the timeout. */
  async sweep(now = Date.now()): Promise<void> {
    const log = this.deps.logger.child({ stage: 'aggregator' });
    const analyses: AnalysisId[] = [];
    for await (const analysis of this.parts.analyses()) analyses.push(analysis);
    for (const analysis of analyses) {
      const { videoId } = analysis;
      const parts = await this.parts.load(analysis);
      if (!parts.faces || now - Date.parse(parts.faces.receivedAt) < this.options.partialReportTimeoutMs) continue;
      const missing = parts.faces.value.payload.detectors.filter((d) => !parts.scores.has(d));
      await this.perVideo.run(videoId, async () => {
        log.warn('Writing a partial report.', { videoId, missingDetectors: missing });
        await this.finish(this.buildReport(parts, missing), parts.faces!.correlationId, log);
      });
    }
  }

  private async handle(envelope: Extract<AnyEnvelope, { type: AggregatorInput }>, log: Logger): Promise<void> {
    if (this.finished.has(`${envelope.videoId}/${envelope.correlationId}`)) {
      log.debug('Ignoring a message about a finished video.', { type: envelope.type });
      return;
    }
    switch (envelope.type) {
      case 'video.failed':
        await this.finish(buildFailedReport(envelope, this.settings), envelope.correlationId, log);
        return;
      case 'video.faces':
        await this.parts.putFaces(envelope);
        break;
      case 'video.scores':
        await this.parts.putScores(envelope);
        break;
    }
    const parts = await this.parts.load(envelope);
    const faces = parts.faces?.value;
    if (!faces) return;
    const waitingFor = faces.payload.cropCount === 0 ? [] : faces.payload.detectors.filter((d) => !parts.scores.has(d));
    if (waitingFor.length > 0) return;
    await this.finish(this.buildReport(parts, []), faces.correlationId, log);
  }

  private buildReport(parts: VideoParts, missingDetectors: string[]): VideoReport {
    const scores = new Map([...parts.scores].map(([detector, part]) => [detector, part.value]));
    const report = buildDoneReport(parts.faces!.value, scores, this.settings);
    return missingDetectors.length > 0 ? { ...report, partial: true, missingDetectors } : report;
  }

  private async finish(report: VideoReport, correlationId: string, log: Logger): Promise<void> {
    const problems = reportSchemaErrors(report);
    if (problems.length > 0) throw new Error(`report does not match its schema: ${problems.join('; ')}`);
    const key = reportKey(report.videoId, this.deps.reportPrefix);
    if (report.status === 'failed' && (await this.existingStatus(key)) === 'done') {
      // Another analysis of the same bytes succeeded: its report stays; this failure is only announced.
      log.warn('Analysis failed; the earlier report of the same video is kept.', { error: report.error?.code });
    } else {
      await this.deps.reports.put(key, Buffer.from(JSON.stringify(report, null, 2) + '\n'));
    }
    const announcement: ReportAnnouncement = {
      videoId: report.videoId,
      correlationId,
      reportKey: key,
      status: report.status,
      label: report.label,
      score: report.score,
      source: report.source,
      ...(report.error ? { error: report.error } : {}),
    };
    await (this.deps.announce ?? ((a) => this.publishReportReady(a)))(announcement);
    this.rememberFinished(`${report.videoId}/${correlationId}`);
    await this.emptyWorkArea(report.videoId, correlationId);
    this.deps.metrics.videosProcessedTotal.inc({ status: report.status, label: report.label ?? 'NONE' });
    log.info('Report written.', { status: report.status, label: report.label, score: report.score, error: report.error?.code });
  }

  private async publishReportReady(a: ReportAnnouncement): Promise<void> {
    await this.deps.transport.publish(
      ROUTING.reportReady,
      createEnvelope('report.ready', a.videoId, a.correlationId, { reportKey: a.reportKey, status: a.status, label: a.label, score: a.score }),
    );
  }

  private async existingStatus(key: string): Promise<string | undefined> {
    try {
      return (JSON.parse((await this.deps.reports.get(key)).toString()) as { status?: string }).status;
    } catch {
      return undefined;
    }
  }

  private rememberFinished(id: string): void {
    this.finished.add(id);
    if (this.finished.size > FINISHED_MEMORY) this.finished.delete(this.finished.values().next().value!);
  }

  private async emptyWorkArea(videoId: string, correlationId: string): Promise<void> {
    for await (const object of this.deps.work.list(workPrefix(videoId, correlationId))) await this.deps.work.delete(object.key);
  }
}
