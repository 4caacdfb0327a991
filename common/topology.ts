/**
 * Queue names and routing keys of the pipeline: who receives what.
 *
 *   video.job            → frame-extractor
 *   video.frames         → face-cropper
 *   video.crops.<model>  → detector.<model>   (one queue per deepfake detector)
 *   video.faces / video.scores / video.failed → aggregator
 *   report.ready         → reports            (announcements of finished reports)
 */
import type { QueueSpec } from './transport/transport';

export const ROUTING = {
  job: 'video.job',
  frames: 'video.frames',
  crops: (detector: string) => `video.crops.${detector}`,
  faces: 'video.faces',
  scores: 'video.scores',
  failed: 'video.failed',
  reportReady: 'report.ready',
} as const;

export const QUEUES = {
  frameExtractor: 'frame-extractor',
  faceCropper: 'face-cropper',
  detector: (detector: string) => `detector.${detector}`,
  aggregator: 'aggregator',
  reports: 'reports',
  /** Copies of what the stages dead-letter, turned into failed reports. */
  deadLetterReports: 'dead-letter-reports',
} as const;

/** Queue specs of the pipeline for a set of deepfake detectors. */
export function pipelineQueues(detectors: string[], framesQueueMaxLength?: number): QueueSpec[] {
  return [
    { name: QUEUES.frameExtractor, bindings: [ROUTING.job] },
    { name: QUEUES.faceCropper, bindings: [ROUTING.frames], maxLength: framesQueueMaxLength },
    ...detectors.map((d) => ({ name: QUEUES.detector(d), bindings: [ROUTING.crops(d)] })),
    { name: QUEUES.aggregator, bindings: [ROUTING.faces, ROUTING.scores, ROUTING.failed] },
    { name: QUEUES.reports, bindings: [ROUTING.reportReady] },
    { name: QUEUES.deadLetterReports, bindings: [], deadLettersOf: stageQueues(detectors) },
  ];
}

/** The queues of the stages that work on videos: what they give up must still be reported. */
export function stageQueues(detectors: string[]): string[] {
  return [QUEUES.frameExtractor, QUEUES.faceCropper, ...detectors.map(QUEUES.detector)];
}
