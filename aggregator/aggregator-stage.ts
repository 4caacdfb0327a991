/**
 * The aggregator stage: records what the face-cropper and every detector sent about a
 * video in the analysis's state object, writes the report once all has arrived (a failed
 * report at the first failure; a partial one when detectors stay silent past a timeout),
 * announces it, and empties the video's work area. Its state lives in storage, not in the
 * process, and moves by conditional writes (`analysis-state.ts`), so a restarted aggregator
 * carries on and two replicas never lose each other's parts, nor write or announce the same
 * analysis twice. A message costs one read and at most one write of the state.
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
import { AnalysisStateStore, type VersionedState } from './analysis-state';
import { buildDoneReport, buildFailedReport, type ReportSettings } from './build-report';
import { reportKey, reportSchemaErrors, type VideoReport } from './report';
import { mergeParts, partsOf, readLegacyParts, withPart, type AnalysisId, type VideoParts } from './video-parts';

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

/** What one attempt at a state change came to: 'conflict' when another aggregator changed the state first. */
type Outcome = 'done' | 'conflict';

/** Videos remembered as finished, so that late messages about them are ignored. */
const FINISHED_MEMORY = 10_000;
/** A claim to report an analysis that has not been announced after this long is taken over. */
export const STALE_CLAIM_MS = 60_000;

export class AggregatorStage {
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
    const videoLog = log.child({ videoId: analysis.videoId });
    for (;;) {
      const current = await this.states.read(analysis);
      if (current.state.status !== 'collecting') {
        // Reported by someone who has not finished announcing, or already done: finish the job.
        if ((await this.finishReported(analysis, current, videoLog, this.sweepClaimant)) === 'done') return;
        continue;
      }
      // Read under the lock: a last `video.scores` that arrived meanwhile is seen here. Parts an
      // aggregator from before 2026-12 kept in the work area are only looked for here, so that
      // messages cost no listing.
      let parts = partsOf(current.state);
      if (!parts.faces) parts = mergeParts(parts, await readLegacyParts(this.deps.work, analysis));
      if (!parts.faces || now - Date.parse(parts.faces.receivedAt) < this.options.partialReportTimeoutMs) return;
      const missing = expectedDetectors(parts.faces.value.payload).filter((d) => !parts.scores.has(d));
      if (missing.length > 0) videoLog.warn('Writing a partial report.', { missingDetectors: missing });
      if ((await this.claim(analysis, current, this.buildReport(parts, missing), videoLog, this.sweepClaimant)) === 'done') return;
    }
  }

  private async handle(envelope: Extract<AnyEnvelope, { type: AggregatorInput }>, log: Logger): Promise<void> {
    const analysis: AnalysisId = { videoId: envelope.videoId, correlationId: envelope.correlationId };
    if (this.finished.has(analysisKey(analysis))) {
      // A late duplicate (a job delivered again) may have written crops again: clean up again.
      log.debug('Ignoring a message about a reported analysis.', { type: envelope.type });
      await this.emptyWorkArea(analysis);
      return;
    }
    while ((await this.record(analysis, await this.states.read(analysis), envelope, log)) === 'conflict') {
      log.debug('Another aggregator changed this analysis first; reading it again.');
    }
  }

  /**
   * Records what `envelope` says about the analysis in its state as read (`current`), and
   * reports the analysis when that completes it: at most one conditional write of the
   * state. 'conflict' when another aggregator changed the state since it was read.
   */
  private async record(analysis: AnalysisId, current: VersionedState, envelope: Extract<AnyEnvelope, { type: AggregatorInput }>, log: Logger): Promise<Outcome> {
    // Reported already (a late duplicate, or a claim to finish) or not: as the sweep decides.
    if (current.state.status !== 'collecting') return this.finishReported(analysis, current, log, envelope.id);
    if (envelope.type === 'video.failed') return this.claim(analysis, current, buildFailedReport(envelope, this.settings), log, envelope.id);
    const next = withPart(current.state, envelope);
    const parts = partsOf(next ?? current.state);
    const faces = parts.faces?.value;
    if (faces && expectedDetectors(faces.payload).every((d) => parts.scores.has(d))) {
      return this.claim(analysis, current, this.buildReport(parts, []), log, envelope.id);
    }
    if (next !== undefined && (await this.states.move(current, next)) === undefined) return 'conflict';
    // Listed as open (for the partial-report sweep) once its faces are known; again when the
    // message comes again, in case the first delivery stopped between the two writes.
    if (envelope.type === 'video.faces') await this.states.markOpen(analysis);
    return 'done';
  }

  private buildReport(parts: VideoParts, missingDetectors: string[]): VideoReport {
    const scores = new Map([...parts.scores].map(([detector, part]) => [detector, part.value]));
    const report = buildDoneReport(parts.faces!.value, scores, this.settings);
    return missingDetectors.length > 0 ? { ...report, partial: true, missingDetectors } : report;
  }

  /**
   * Claims the analysis by moving its state from `current` (collecting) to `reported` with
   * `report` in it (a conditional write), then writes, announces and cleans up. Of two
   * aggregators claiming at once, one wins; the other gets 'conflict', reads the state again
   * and finds it reported.
   */
  private async claim(analysis: AnalysisId, current: VersionedState, report: VideoReport, log: Logger, claimant: string): Promise<Outcome> {
    const problems = reportSchemaErrors(report);
    if (problems.length > 0) throw new Error(`report does not match its schema: ${problems.join('; ')}`);
    const claimed = await this.states.move(current, { ...analysis, status: 'reported', report, claimedBy: claimant });
    if (claimed === undefined) return 'conflict';
    this.deps.metrics.videosProcessedTotal.inc({ status: report.status, label: report.label ?? 'NONE' });
    await this.announce(analysis, report, { state: current.state, version: claimed }, log);
    return 'done';
  }

  /**
   * An analysis whose state is `reported` or `announced`. An announced one is cleaned up
   * again (a late duplicate may have written crops again). A claim that is ours (a retry of
   * the message, or this replica's next sweep) goes on at once; someone else's is left to
   * them unless it is older than `STALE_CLAIM_MS` (their aggregator died), when it is taken
   * over, by conditional write again, and finished from the stored report.
   */
  private async finishReported(analysis: AnalysisId, current: VersionedState, log: Logger, claimant: string): Promise<Outcome> {
    const { state } = current;
    if (state.status === 'announced') {
      await this.cleanUp(analysis);
      return 'done';
    }
    const ours = state.claimedBy === claimant;
    if (!ours && Date.now() - Date.parse(state.updatedAt) < STALE_CLAIM_MS) return 'done';
    const claimed = await this.states.move(current, { ...state, claimedBy: claimant });
    if (claimed === undefined) return 'conflict';
    log.warn('Finishing a report whose aggregator stopped half-way.', { status: state.report!.status });
    await this.announce(analysis, state.report!, { state, version: claimed }, log);
    return 'done';
  }

  /** Writes and announces a claimed report, marks the analysis `announced` (from `claimed`) and cleans up. */
  private async announce(analysis: AnalysisId, report: VideoReport, claimed: VersionedState, log: Logger): Promise<void> {
    await this.publishReport(report, analysis, log);
    await this.states.move(claimed, { ...analysis, status: 'announced' });
    await this.cleanUp(analysis);
  }

  /** Empties the work area of a reported analysis and takes it off the open index. */
  private async cleanUp(analysis: AnalysisId): Promise<void> {
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
