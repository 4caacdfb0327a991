/**
 * Prometheus metrics of the pipeline, declared in one place. Every stage gets the same
 * object; labels say which stage or detector a sample belongs to.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class PipelineMetrics {
  /** Messages settled by a stage, by outcome: ack, retry, dead_letter, hand_back (no attempt spent). */
  readonly messagesTotal: Counter<'stage' | 'outcome'>;
  /** Time a stage spent on one message. */
  readonly stageDurationSeconds: Histogram<'stage'>;
  /** Messages a stage is working on now. */
  readonly inFlightMessages: Gauge<'stage'>;
  /** Videos that got a report, by status (done, failed) and label. */
  readonly videosProcessedTotal: Counter<'status' | 'label'>;
  /** Frames sampled, by whether a face was found in them. */
  readonly framesSampledTotal: Counter<'faces'>;
  /** Faces detected in sampled frames. */
  readonly facesDetectedTotal: Counter;
  /** Face crops scored, by detector. */
  readonly cropsScoredTotal: Counter<'detector'>;
  /** Crops per inference batch, by detector. */
  readonly batchSize: Histogram<'detector'>;
  /** Time one inference batch took, by detector. */
  readonly inferenceDurationSeconds: Histogram<'detector'>;

  constructor(readonly registry: Registry = new Registry()) {
    const r = [registry];
    this.messagesTotal = new Counter({
      name: 'deepsift_messages_total',
      help: 'Messages settled by a stage, by outcome (ack, retry, dead_letter, hand_back; failed for external ingest messages, retried or dead-lettered by the broker rules).',
      labelNames: ['stage', 'outcome'],
      registers: r,
    });
    this.stageDurationSeconds = new Histogram({
      name: 'deepsift_stage_duration_seconds',
      help: 'Time a stage spent handling one message.',
      labelNames: ['stage'],
      buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: r,
    });
    this.inFlightMessages = new Gauge({
      name: 'deepsift_in_flight_messages',
      help: 'Messages a stage is handling now.',
      labelNames: ['stage'],
      registers: r,
    });
    this.videosProcessedTotal = new Counter({
      name: 'deepsift_videos_processed_total',
      help: 'Videos that got a report, by status (done, failed) and label (FAKE, REAL, UNKNOWN; NONE when failed).',
      labelNames: ['status', 'label'],
      registers: r,
    });
    this.framesSampledTotal = new Counter({
      name: 'deepsift_frames_sampled_total',
      help: 'Frames sampled from videos, by whether a face was found (yes, no).',
      labelNames: ['faces'],
      registers: r,
    });
    this.facesDetectedTotal = new Counter({
      name: 'deepsift_faces_detected_total',
      help: 'Faces detected in sampled frames.',
      registers: r,
    });
    this.cropsScoredTotal = new Counter({
      name: 'deepsift_crops_scored_total',
      help: 'Face crops scored, by detector.',
      labelNames: ['detector'],
      registers: r,
    });
    this.batchSize = new Histogram({
      name: 'deepsift_detector_batch_size',
      help: 'Face crops per inference batch, by detector.',
      labelNames: ['detector'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: r,
    });
    this.inferenceDurationSeconds = new Histogram({
      name: 'deepsift_inference_duration_seconds',
      help: 'Time one inference batch took, by detector.',
      labelNames: ['detector'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers: r,
    });
  }

  /** Adds Node.js process metrics (memory, event loop lag) under the `deepsift_` prefix. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry, prefix: 'deepsift_' });
  }
}
