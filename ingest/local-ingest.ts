/**
 * The ingest stage for local inputs: hashes each file (its SHA-256 is the videoId and
 * the report key), drops duplicates, validates the job and submits it. An input that
 * cannot be read is announced as failed straight away, so it still gets a report.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  describeError,
  publishVideoFailure,
  type StageDeps,
  type VideoSource,
} from '../common';
import { entryKind, hashFile, NotARegularFileError, pathVideoId, type LocalInput } from './local-source';
import { submitJob } from './submit-job';

/** What became of one input. */
export interface IngestedInput {
  uri: string;
  videoId: string;
  source: VideoSource;
  correlationId: string;
  /** Set when the same bytes were already submitted under another name. */
  duplicateOf?: string;
}

export class LocalIngest {
  /** videoId → uri of the first input with those bytes. */
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly deps: StageDeps,
    private readonly detectors: string[],
  ) {}

  /** Submits one input; resolves once its job (or failure) is published. */
  async submit(input: LocalInput): Promise<IngestedInput> {
    const log = this.deps.logger.child({ stage: 'ingest', uri: input.uri });
    const source: VideoSource = { kind: 'file', uri: input.uri, path: input.path, submittedAt: new Date().toISOString() };
    const correlationId = randomUUID();
    let hashed: { sha256: string; sizeBytes: number };
    try {
      // Checked before opening too: a named pipe or device is never opened by ingest.
      const info = await stat(input.path);
      if (!info.isFile()) throw new NotARegularFileError(input.uri, entryKind(info));
      hashed = await hashFile(input.path);
    } catch (error) {
      const videoId = pathVideoId(input.path);
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      log.warn('Input cannot be read.', { videoId, error: describeError(error) });
      await publishVideoFailure(this.deps.transport, { videoId, correlationId, source }, {
        stage: 'ingest',
        code: missing ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE',
        message: missing
          ? `no such file: ${input.uri}`
          : error instanceof NotARegularFileError
            ? error.message
            : `cannot read ${input.uri}: ${describeError(error)}`,
      });
      return { uri: input.uri, videoId, source, correlationId };
    }

    const videoId = hashed.sha256;
    const first = this.seen.get(videoId);
    if (first !== undefined) {
      log.info('Duplicate input skipped.', { videoId, duplicateOf: first });
      return { uri: input.uri, videoId, source, correlationId, duplicateOf: first };
    }
    this.seen.set(videoId, input.uri);
    await submitJob(this.deps, videoId, correlationId, { source, sizeBytes: hashed.sizeBytes, detectors: this.detectors });
    this.deps.metrics.messagesTotal.inc({ stage: 'ingest', outcome: 'ack' });
    return { uri: input.uri, videoId, source, correlationId };
  }
}
