/** The one way ingest hands a video on: a validated `video.job` for the frame extractor. */
import { createEnvelope, ROUTING, validateEnvelope, type StageDeps, type VideoJobPayload } from '../common';

export async function submitJob(deps: StageDeps, videoId: string, correlationId: string, payload: VideoJobPayload): Promise<void> {
  // Validated here: the job is built from outside data (paths, keys, crawler fields).
  const job = validateEnvelope(createEnvelope('video.job', videoId, correlationId, payload));
  await deps.transport.publish(ROUTING.job, job);
  deps.logger.info('Video submitted.', { stage: 'ingest', videoId, uri: payload.source.uri, sizeBytes: payload.sizeBytes });
}
