/**
 * What the workers declare on the broker: the pipeline's queues (without the embedded
 * mode's `reports` queue: workers announce on the results exchange instead) and the two
 * queues through which work comes in from outside.
 */
import { pipelineQueues, QUEUES, type QueueSpec } from '../common';

/** Queues fed from outside, and the fanout exchanges (`<namespace>.<exchange>`) that feed them. */
export const EXTERNAL_QUEUES = {
  /** Crawler jobs (`ingest/crawler-job.schema.json`), published to `<namespace>.submit`. */
  crawlerJobs: { name: 'ingest.crawler-jobs', bindings: [], externalExchange: 'submit' },
  /** Bucket notifications, as MinIO publishes them to `<namespace>.s3-events`. */
  bucketEvents: { name: 'ingest.s3-events', bindings: [], externalExchange: 's3-events' },
} satisfies Record<string, QueueSpec>;

/** Every queue of a deployment that runs `detectors`. */
export function distributedQueues(detectors: string[]): QueueSpec[] {
  return [
    ...pipelineQueues(detectors).filter((q) => q.name !== QUEUES.reports),
    EXTERNAL_QUEUES.crawlerJobs,
    EXTERNAL_QUEUES.bucketEvents,
  ];
}

/** The routing key a report is announced with on `<namespace>.results`: `report.<status>.<label>`. */
export function announcementKey(status: string, label: string | null): string {
  return `report.${status}.${label ?? 'NONE'}`;
}
