/**
 * `deepsift submit <s3://bucket/key | https://… | file>`: hands one video to a running
 * deployment as a crawler job. A local file is uploaded to `uploads/` in the bucket first.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, resolveConfig, S3Storage, s3StorageOptionsFromConfig } from '../common';
import { CrawlerJobPublisher, hashFile, parseCrawlerJob, type CrawlerJob } from '../ingest';
import { CliError, EXIT } from './exit-codes';

export interface SubmitOptions {
  detectors?: string;
  priority?: string;
  correlationId?: string;
}

export async function runSubmit(target: string, options: SubmitOptions): Promise<number> {
  let config;
  try {
    config = resolveConfig(process.env, {});
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  const job: Record<string, unknown> = { schemaVersion: 1, correlationId: options.correlationId ?? randomUUID() };
  if (options.detectors) job.detectors = options.detectors.split(',').map((d) => d.trim()).filter(Boolean);
  if (options.priority !== undefined) job.priority = Number(options.priority);
  let expectedReport: string | undefined;

  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(target);
  if (s3) job.source = { s3: { bucket: s3[1], key: s3[2] } };
  else if (/^https?:\/\//.test(target)) job.source = { url: target };
  else {
    const info = await stat(target).catch(() => undefined);
    if (!info?.isFile()) throw new CliError(`${target} is neither an s3:// or http(s):// URL nor a readable file`, EXIT.usage);
    const bucket = new S3Storage(s3StorageOptionsFromConfig(config));
    try {
      const key = `uploads/${randomUUID()}/${path.basename(target)}`;
      await bucket.put(key, createReadStream(target));
      job.source = { s3: { bucket: bucket.bucket, key } };
      expectedReport = `s3://${bucket.bucket}/reports/${(await hashFile(target)).sha256}.json`;
    } catch (error) {
      throw new CliError(`cannot upload ${target}: ${(error as Error).message}`, EXIT.infrastructure);
    } finally {
      bucket.close();
    }
  }

  let valid: CrawlerJob;
  try {
    valid = parseCrawlerJob(JSON.stringify(job), new Set(config.detectors));
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
  const publisher = await CrawlerJobPublisher.connect(config.amqpUrl, config.namespace).catch((error: Error) => {
    throw new CliError(`cannot connect to RabbitMQ: ${error.message}`, EXIT.infrastructure);
  });
  try {
    await publisher.publish(valid);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.infrastructure);
  } finally {
    await publisher.close();
  }
  process.stdout.write(JSON.stringify({ submitted: valid, ...(expectedReport ? { report: expectedReport } : {}) }, null, 2) + '\n');
  return EXIT.ok;
}
