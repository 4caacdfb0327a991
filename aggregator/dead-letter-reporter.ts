/**
 * Turns what the stages give up into failed reports: every message dead-lettered from a
 * stage queue (retries exhausted, a worker that kept crashing, an invalid message) is
 * copied to the `dead-letter-reports` queue, and each one that names a video becomes a
 * `video.failed` for the aggregator. The dead-letter queues keep their copies for operators.
 */
import {
  consumeAsStage,
  DEFAULT_RETRY_POLICY,
  publishVideoFailure,
  QUEUES,
  type AnyEnvelope,
  type Delivery,
  type FailureCode,
  type Logger,
  type StageDeps,
  type StageName,
  type Storage,
  type Subscription,
  type VersionedStorage,
  type VideoSource,
} from '../common';
import { AnalysisStateStore } from './analysis-state';
import { readLegacyParts } from './video-parts';

export interface DeadLetterReporterDeps extends StageDeps {
  /** Where the aggregator keeps each analysis's state, with the video's source once its faces are known. */
  state: Storage & VersionedStorage;
  /** The work area, where aggregators before 2026-12 kept the face summary. */
  work: Storage;
}

/** The source is not known yet (the face summary has not been recorded): try again later. */
class SourceNotYetKnownError extends Error {
  override readonly name = 'SourceNotYetKnownError';
}

export class DeadLetterReporter {
  private readonly states: AnalysisStateStore;
  private subscription: Subscription | undefined;

  constructor(private readonly deps: DeadLetterReporterDeps) {
    this.states = new AnalysisStateStore(deps.state);
  }

  async start(): Promise<void> {
    this.subscription = await consumeAsStage(this.deps, 'aggregator', QUEUES.deadLetterReports, ['video.job', 'video.frames', 'video.crops'], (e, log, d) => this.handle(e, log, d), {
      prefetch: 4,
      retryPolicy: DEFAULT_RETRY_POLICY,
    });
  }

  async close(graceMs?: number): Promise<void> {
    await this.subscription?.cancel(graceMs);
  }

  private async handle(envelope: AnyEnvelope, log: Logger, delivery: Delivery): Promise<void> {
    const reason = delivery.deadLetterReason ?? 'UNKNOWN: no reason recorded';
    const queue = delivery.deadLetterQueue ?? '';
    log.error('A stage gave up a message.', { queue, type: envelope.type, reason });
    const source = await this.sourceOf(envelope);
    if (source === 'reported') {
      // Its report is written (a partial one, say): the aggregator would ignore the failure, and
      // the source is no longer kept. Waiting for it would only retry in vain.
      log.warn('The analysis is already reported; the failure is only logged.', { queue, reason });
      return;
    }
    if (!source) throw new SourceNotYetKnownError(`the source of video ${envelope.videoId} is not known yet`);
    const [code, ...rest] = reason.split(': ');
    await publishVideoFailure(this.deps.transport, { videoId: envelope.videoId, correlationId: envelope.correlationId, source }, {
      stage: stageOf(queue),
      code: failureCodeOf(code ?? ''),
      message: rest.join(': ') || reason,
    });
  }

  /** The video's source: from the message, or from the face summary the aggregator recorded. */
  private async sourceOf(envelope: AnyEnvelope): Promise<VideoSource | 'reported' | undefined> {
    if ('source' in envelope.payload) return envelope.payload.source;
    const { state } = await this.states.read(envelope);
    if (state.status !== 'collecting') return 'reported';
    const faces = state.faces ?? (await readLegacyParts(this.deps.work, envelope)).faces;
    return faces?.value.payload.source;
  }
}

function stageOf(queue: string): StageName {
  if (queue === QUEUES.frameExtractor) return 'frame-extractor';
  if (queue === QUEUES.faceCropper) return 'face-cropper';
  return 'detector-workers';
}

/** Codes of messages dead-lettered at once, kept as they are. */
const KEPT_CODES: ReadonlySet<string> = new Set<FailureCode>(['INVALID_MESSAGE', 'DETECTOR_FAILED', 'DEADLINE_EXCEEDED']);

/** Failures whose code is kept as it is; everything else was given up after retries or crashes. */
function failureCodeOf(code: string): FailureCode {
  return KEPT_CODES.has(code) ? (code as FailureCode) : 'RETRIES_EXHAUSTED';
}
