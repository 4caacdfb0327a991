/**
 * Crawler jobs: the documented message (`crawler-job.schema.json`) that upstream crawlers
 * publish to have a video analysed. Parsed and validated here; anything else is an
 * `InvalidMessageError`, which dead-letters the message with the reason.
 */
import { InvalidMessageError, SchemaValidator } from '../common';
import schema from './crawler-job.schema.json';

/** A validated crawler job. */
export interface CrawlerJob {
  schemaVersion: 1;
  source: { s3: { bucket: string; key: string } } | { url: string };
  detectors?: string[];
  priority?: number;
  correlationId?: string;
}

/** Crawler jobs' schema validator; exported for `npm run build` to precompile it. */
export const CRAWLER_JOB_VALIDATOR = new SchemaValidator('crawler-job', schema);

/** Parses message bytes into a crawler job, or throws `InvalidMessageError` saying why not. */
export function parseCrawlerJob(body: Buffer | string, knownDetectors?: ReadonlySet<string>): CrawlerJob {
  let value: unknown;
  try {
    value = JSON.parse(body.toString());
  } catch (error) {
    throw new InvalidMessageError('crawler job is not valid JSON', { cause: error });
  }
  if (!CRAWLER_JOB_VALIDATOR.validate(value)) {
    throw new InvalidMessageError(`invalid crawler job: ${CRAWLER_JOB_VALIDATOR.errorsText('job')}`);
  }
  const job = value as unknown as CrawlerJob;
  const unknown = (job.detectors ?? []).filter((d) => knownDetectors && !knownDetectors.has(d));
  if (unknown.length > 0) {
    throw new InvalidMessageError(`invalid crawler job: unknown detector(s) ${unknown.join(', ')}`);
  }
  return job;
}

/** The URI a job's source is shown as in reports. */
export function crawlerJobUri(job: CrawlerJob): string {
  return 'url' in job.source ? job.source.url : `s3://${job.source.s3.bucket}/${job.source.s3.key}`;
}
