/**
 * The aggregator stage: records what the face-cropper and every detector sent about a
 * video in the work area, writes the report once all has arrived (a failed report at the
 * first failure; a partial one when detectors stay silent past a timeout), announces it,
 * and empties the video's work area. Its state lives in storage, not in the process, and
 * moves by conditional writes (`analysis-state.ts`), so a restarted aggregator carries on
 * and two replicas never write or announce the same analysis twice.
 */
import { randomUUID } from 'node:crypto';
import {
  consumeAsStage,
  createEnvelope,
  DEFAULT_RETRY_POLICY,
  describeError,
  InfrastructureError,
  KeyedLock,
  ObjectNotFoundError,
  QUEUES,
  ROUTING,
  type AnyEnvelope,
  type Logger,
  type StageDeps,
  type Storage,
  type Subscription,
  type VersionedStorage,
  type VideoFacesPayload,
  workPrefix,
} from '../common';
import { AnalysisStateStore } from './analysis-state';
import { buildDoneReport, buildFailedReport, type ReportSettings } from './build-report';
import { reportKey, reportSchemaErrors, type VideoReport } from './report';
import { VideoPartsStore, type AnalysisId, type VideoParts } from './video-parts';

export interface AggregatorDeps extends StageDeps {
  /** Where reports are written, as `<reportPrefix><videoId>.json`. */
  reports: Storage;
  /** Key prefix of reports: `reports/` in a bucket, empty in a local output folder. */
  reportPrefix: string;
  /** The work area: each analysis's `work/<videoId>/<correlationId>/` prefix. */
  work: Storage;
  /** Where the analyses' states live (`analysis-state.ts`): the bucket in a deployment. */
  state: Storage & VersionedStorage;
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
  /** A handler call still running this long is aborted and retried; none when absent. */
  deadlineMs?: number;
}

/** What the aggregator takes: face summaries, detector scores and failures. */
const AGGREGATOR_INPUTS = ['video.faces', 'video.scores', 'video.failed'] as const;
type AggregatorInput = (typeof AGGREGATOR_INPUTS)[number];

/** Videos remembered as finished, so that late messages about them are ignored. */
const FINISHED_MEMORY = 10_000;
/** A claim to report an analysis that has not been announced after this long is taken over. */
export const STALE_CLAIM_MS = 60_000;

export class AggregatorStage {
  private readonly parts: VideoPartsStore;
  private readonly states: AnalysisStateStore;
  /** Analyses known to be reported, so late messages about them cost no storage read. */
  private readonly finished = new Set<string>();
  /** One message per video at a time in this process; replicas are kept apart by `states`. */
  private readonly perVideo = new KeyedLock();
  private subscription: Subscription | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  /** Who claims reports in this replica's sweeps (see `finish`). */
  private readonly sweepClaimant = `sweep:${randomUUID()}`;

  constructor(
    private readonly deps: AggregatorDeps,
    private readonly settings: ReportSettings,
    private readonly options: AggregatorOptions,
  ) {
    this.parts = new VideoPartsStore(deps.work);
    this.states = new AnalysisStateStore(deps.state);
  }

  async start(): Promise<void> {
    this.subscription = await consumeAsStage(this.deps, 'aggregator', QUEUES.aggregator, AGGREGATOR_INPUTS, (e, log) => this.perVideo.run(e.videoId, () => this.handle(e, log)), {
      prefetch: this.options.prefetch,
      retryPolicy: DEFAULT_RETRY_POLICY,
      deadlineMs: this.options.deadlineMs,
    });
    if (this.options.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => {
        this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
      }, this.options.sweepIntervalMs);
    }
  }

  /** Stops the sweep and the consumer (within `graceMs`, then handing back what is left). */
  async close(graceMs?: number): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.subscription?.cancel(graceMs);
    await this.sweeping;
  }

  /**
   * Writes partial reports for analyses whose detectors stayed silent past the timeout.
   * Reads the index of open analyses; a failure with one analysis is logged and the sweep
   * goes on with the next. Never rejects.
   */
  async sweep(now = Date.now()): Promise<void> {
    const log = this.deps.logger.child({ stage: 'aggregator' });
    const analyses: AnalysisId[] = [];
    try {
      for await (const analysis of this.states.open()) analyses.push(analysis);
    } catch (error) {
      log.warn('Cannot list the open analyses; the sweep tries again later.', { error: describeError(error) });
      return;
    }
    for (const analysis of analyses) {
      try {
        await this.perVideo.run(analysis.videoId, () => this.sweepOne(analysis, now, log));
      } catch (error) {
        log.error('Sweeping an analysis failed; going on with the others.', { videoId: analysis.videoId, correlationId: analysis.correlationId, error: describeError(error) });
      }
    }
  }

  /** Under the video's lock: a partial report if the analysis is still open and overdue. */
  private async sweepOne(analysis: AnalysisId, now: number, log: Logger): Promise<void> {
    const current = await this.states.read(analysis);
    if (current.state.status !== 'collecting') {
      // Reported by someone who has not finished announcing, or already done: finish the job.
      await this.finish(analysis, () => undefined, log.child({ videoId: analysis.videoId }), this.sweepClaimant);
      return;
    }
    // Loaded under the lock: a last `video.scores` that arrived meanwhile is seen here.
    const parts = await this.parts.load(analysis);
    if (!parts.faces || now - Date.parse(parts.faces.receivedAt) < this.options.partialReportTimeoutMs) return;
    const missing = parts.faces.value.payload.detectors.filter((d) => !parts.scores.has(d));
    await this.finish(analysis, () => {
      log.warn('Writing a partial report.', { videoId: analysis.videoId, missingDetectors: missing });
      return this.buildReport(parts, missing);
    }, log.child({ videoId: analysis.videoId }), this.sweepClaimant);
  }

  private async handle(envelope: Extract<AnyEnvelope, { type: AggregatorInput }>, log: Logger): Promise<void> {
    const analysis: AnalysisId = { videoId: envelope.videoId, correlationId: envelope.correlationId };
    if (this.finished.has(analysisKey(analysis)) || (await this.states.read(analysis)).state.status === 'announced') {
      // A late duplicate (a job delivered again) may have written crops again: clean up again.
      log.debug('Ignoring a message about a reported analysis.', { type: envelope.type });
      await this.emptyWorkArea(analysis);
      return;
    }
    switch (envelope.type) {
      case 'video.failed':
        await this.finish(analysis, () => buildFailedReport(envelope, this.settings), log, envelope.id);
        return;
      case 'video.faces':
        await this.parts.putFaces(envelope);
        await this.states.markOpen(analysis);
        break;
      case 'video.scores':
        await this.parts.putScores(envelope);
        break;
    }
    const parts = await this.parts.load(analysis);
    const faces = parts.faces?.value;
    if (!faces) return;
    const waitingFor = expectedDetectors(faces.payload).filter((d) => !parts.scores.has(d));
    if (waitingFor.length > 0) return;
    await this.finish(analysis, () => this.buildReport(parts, []), log, envelope.id);
  }

  private buildReport(parts: VideoParts, missingDetectors: string[]): VideoReport {
    const scores = new Map([...parts.scores].map(([detector, part]) => [detector, part.value]));
    const report = buildDoneReport(parts.faces!.value, scores, this.settings);
    return missingDetectors.length > 0 ? { ...report, partial: true, missingDetectors } : report;
  }

  /**
   * Reports the analysis once, whoever else tries: claims it by moving its state to
   * `reported` with the report built by `build` (a conditional write), writes the report,
   * announces it, marks it `announced` and empties the work area. Whoever loses the claim
   * leaves the rest to the winner; a claim left unfinished for `STALE_CLAIM_MS` (its
   * aggregator died) is taken over, by conditional write again, and finished from the
   * stored report. `build` returning undefined means: only take over stale claims.
   */
  private async finish(analysis: AnalysisId, build: () => VideoReport | undefined, log: Logger, claimant: string): Promise<void> {
    for (;;) {
      const current = await this.states.read(analysis);
      let report: VideoReport;
      let claimed: string | undefined;
      if (current.state.status === 'announced') break;
      if (current.state.status === 'reported') {
        // Our own claim (a retry of the message, or this replica's next sweep) goes on at once.
        const ours = current.state.claimedBy === claimant;
        if (!ours && Date.now() - Date.parse(current.state.updatedAt) < STALE_CLAIM_MS) return;
        claimed = await this.states.move(current, { ...current.state, claimedBy: claimant });
        if (claimed === undefined) continue;
        report = current.state.report!;
        log.warn('Finishing a report whose aggregator stopped half-way.', { status: report.status });
      } else {
        const built = build();
        if (!built) return;
        const problems = reportSchemaErrors(built);
        if (problems.length > 0) throw new Error(`report does not match its schema: ${problems.join('; ')}`);
        claimed = await this.states.move(current, { ...analysis, status: 'reported', report: built, claimedBy: claimant });
        if (claimed === undefined) {
          log.debug('Another aggregator changed this analysis first; reading it again.');
          continue;
        }
        report = built;
        this.deps.metrics.videosProcessedTotal.inc({ status: report.status, label: report.label ?? 'NONE' });
      }
      await this.publishReport(report, analysis, log);
      await this.states.move({ state: current.state, version: claimed }, { ...analysis, status: 'announced' });
      break;
    }
    this.rememberFinished(analysisKey(analysis));
    await this.emptyWorkArea(analysis);
    await this.states.markClosed(analysis);
  }

  /** Writes the report (unless a better one of the same video is there) and announces it. */
  private async publishReport(report: VideoReport, analysis: AnalysisId, log: Logger): Promise<void> {
    const key = reportKey(report.videoId, this.deps.reportPrefix);
    const existing = await this.existingReport(key);
    if (existing && !replaces(report, existing)) {
      log.warn('The earlier report of the same video is kept.', { status: report.status, partial: report.partial === true, error: report.error?.code });
    } else {
      try {
        await this.deps.reports.put(key, Buffer.from(JSON.stringify(report, null, 2) + '\n'));
      } catch (error) {
        if (error instanceof InfrastructureError) throw error;
        throw new InfrastructureError('reports', `cannot write the report ${key}: ${describeError(error)}`, { cause: error });
      }
    }
    const announcement: ReportAnnouncement = {
      videoId: report.videoId,
      correlationId: analysis.correlationId,
      reportKey: key,
      status: report.status,
      label: report.label,
      score: report.score,
      source: report.source,
      ...(report.error ? { error: report.error } : {}),
    };
    await (this.deps.announce ?? ((a) => this.publishReportReady(a)))(announcement);
    log.info('Report written.', { status: report.status, label: report.label, score: report.score, error: report.error?.code });
  }

  private async publishReportReady(a: ReportAnnouncement): Promise<void> {
    await this.deps.transport.publish(
      ROUTING.reportReady,
      createEnvelope('report.ready', a.videoId, a.correlationId, { reportKey: a.reportKey, status: a.status, label: a.label, score: a.score }),
    );
  }

  /** The report already at `key`; undefined when there is none (or it is unreadable JSON). */
  private async existingReport(key: string): Promise<VideoReport | undefined> {
    let body: Buffer;
    try {
      body = await this.deps.reports.get(key);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      // Not knowing whether a done report is there must not let a failure replace it.
      if (error instanceof InfrastructureError) throw error;
      throw new InfrastructureError('reports', `cannot read the report ${key}: ${describeError(error)}`, { cause: error });
    }
    try {
      return JSON.parse(body.toString()) as VideoReport;
    } catch {
      return undefined;
    }
  }

  private rememberFinished(id: string): void {
    this.finished.add(id);
    if (this.finished.size > FINISHED_MEMORY) this.finished.delete(this.finished.values().next().value!);
  }

  private async emptyWorkArea({ videoId, correlationId }: AnalysisId): Promise<void> {
    for await (const object of this.deps.work.list(workPrefix(videoId, correlationId))) await this.deps.work.delete(object.key);
  }
}

/**
 * Whether a new report of a video may replace the one already written: a failure never
 * replaces a done report, and a partial one never replaces a complete one.
 */
function replaces(next: VideoReport, existing: VideoReport): boolean {
  if (existing.status !== 'done') return true;
  if (next.status !== 'done') return false;
  return next.partial === true ? existing.partial === true : true;
}

/**
 * The detectors whose scores a video's report waits for: the crop detectors when crops were
 * cut, and the temporal detectors always (they read the video's clips, not the crops, and
 * say why when they have no score).
 */
function expectedDetectors(faces: VideoFacesPayload): string[] {
  const temporal = faces.temporalDetectors ?? [];
  const crop = faces.cropCount === 0 ? [] : faces.detectors.filter((d) => !temporal.includes(d));
  return [...crop, ...temporal];
}

function analysisKey({ videoId, correlationId }: AnalysisId): string {
  return `${videoId}/${correlationId}`;
}
