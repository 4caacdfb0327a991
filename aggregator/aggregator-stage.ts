/**
 * The aggregator stage: collects what the face-cropper and every detector sent about a
 * video, writes its report once all has arrived (or a failed report at the first
 * failure), announces it, and empties the video's work area.
 */
import {
  consumeAsStage,
  createEnvelope,
  DEFAULT_RETRY_POLICY,
  QUEUES,
  ROUTING,
  type AnyEnvelope,
  type Envelope,
  type Logger,
  type StageDeps,
  type Storage,
  type Subscription,
  type VideoScoresPayload,
} from '../common';
import { buildDoneReport, buildFailedReport, type ReportSettings } from './build-report';
import { reportKey, reportSchemaErrors, type VideoReport } from './report';

export interface AggregatorDeps extends StageDeps {
  /** Where reports are written, as `<reportPrefix><videoId>.json`. */
  reports: Storage;
  /** Key prefix of reports: `reports/` in a bucket, empty in a local output folder. */
  reportPrefix: string;
  /** The work area whose `work/<videoId>/` prefix is emptied when a video is done. */
  work: Storage;
}

/** What the aggregator holds for a video until its report can be written. */
interface Assembly {
  faces?: Envelope<'video.faces'>;
  scores: Map<string, VideoScoresPayload>;
}

/** Videos remembered as finished, so that late messages about them are ignored. */
const FINISHED_MEMORY = 10_000;

export class AggregatorStage {
  private readonly assemblies = new Map<string, Assembly>();
  private readonly finished = new Set<string>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly deps: AggregatorDeps,
    private readonly settings: ReportSettings,
  ) {}

  async start(): Promise<void> {
    this.subscription = await consumeAsStage(this.deps, 'aggregator', QUEUES.aggregator, (e, log) => this.handle(e, log), {
      prefetch: 64,
      retryPolicy: DEFAULT_RETRY_POLICY,
    });
  }

  async close(): Promise<void> {
    await this.subscription?.cancel();
  }

  private async handle(envelope: AnyEnvelope, log: Logger): Promise<void> {
    if (this.finished.has(envelope.videoId)) {
      log.debug('Ignoring a message about a finished video.', { type: envelope.type });
      return;
    }
    switch (envelope.type) {
      case 'video.failed':
        await this.finish(buildFailedReport(envelope, this.settings), envelope, log);
        return;
      case 'video.faces':
        this.assembly(envelope.videoId).faces = envelope;
        break;
      case 'video.scores':
        this.assembly(envelope.videoId).scores.set(envelope.payload.detector, envelope.payload);
        break;
      default:
        log.warn('Unexpected message type.', { type: envelope.type });
        return;
    }
    const assembly = this.assemblies.get(envelope.videoId)!;
    const faces = assembly.faces;
    if (!faces) return;
    const waitingFor = faces.payload.cropCount === 0 ? [] : faces.payload.detectors.filter((d) => !assembly.scores.has(d));
    if (waitingFor.length > 0) return;
    await this.finish(buildDoneReport(faces, assembly.scores, this.settings), envelope, log);
  }

  private assembly(videoId: string): Assembly {
    let assembly = this.assemblies.get(videoId);
    if (!assembly) {
      assembly = { scores: new Map() };
      this.assemblies.set(videoId, assembly);
    }
    return assembly;
  }

  private async finish(report: VideoReport, cause: AnyEnvelope, log: Logger): Promise<void> {
    const problems = reportSchemaErrors(report);
    if (problems.length > 0) throw new Error(`report does not match its schema: ${problems.join('; ')}`);
    const key = reportKey(report.videoId, this.deps.reportPrefix);
    await this.deps.reports.put(key, Buffer.from(JSON.stringify(report, null, 2) + '\n'));
    await this.deps.transport.publish(
      ROUTING.reportReady,
      createEnvelope('report.ready', report.videoId, cause.correlationId, {
        reportKey: key,
        status: report.status,
        label: report.label,
        score: report.score,
      }),
    );
    this.assemblies.delete(report.videoId);
    this.rememberFinished(report.videoId);
    await this.emptyWorkArea(report.videoId);
    this.deps.metrics.videosProcessedTotal.inc({ status: report.status, label: report.label ?? 'none' });
    log.info('Report written.', { status: report.status, label: report.label, score: report.score, error: report.error?.code });
  }

  private rememberFinished(videoId: string): void {
    this.finished.add(videoId);
    if (this.finished.size > FINISHED_MEMORY) this.finished.delete(this.finished.values().next().value!);
  }

  /** Forgets that a video finished, so that a new analysis of it is accepted. */
  forget(videoId: string): void {
    this.finished.delete(videoId);
  }

  private async emptyWorkArea(videoId: string): Promise<void> {
    for await (const object of this.deps.work.list(`work/${videoId}/`)) await this.deps.work.delete(object.key);
  }
}
