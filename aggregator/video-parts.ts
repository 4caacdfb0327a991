/**
 * What the aggregator has received about a video, kept in the work area
 * (`work/<videoId>/<correlationId>/aggregator/…`) before the message is acknowledged, so that a restart
 * or another aggregator instance can finish the report.
 */
import { ObjectNotFoundError, workPrefix, type Envelope, type Storage, type VideoScoresPayload } from '../common';

/** A part as stored: the message and when it arrived. */
export interface StoredPart<T> {
  receivedAt: string;
  correlationId: string;
  value: T;
}

export interface VideoParts {
  faces?: StoredPart<Envelope<'video.faces'>>;
  scores: Map<string, StoredPart<VideoScoresPayload>>;
}

const facesKey = (videoId: string, correlationId: string) => `${workPrefix(videoId, correlationId)}aggregator/faces.json`;
const scoresPrefix = (videoId: string, correlationId: string) => `${workPrefix(videoId, correlationId)}aggregator/scores/`;

/** One analysis of one video. */
export interface AnalysisId {
  videoId: string;
  correlationId: string;
}

/** Reads and writes a video's parts. */
export class VideoPartsStore {
  constructor(private readonly work: Storage) {}

  async putFaces(envelope: Envelope<'video.faces'>): Promise<void> {
    await this.put(facesKey(envelope.videoId, envelope.correlationId), envelope.correlationId, envelope);
  }

  async putScores(envelope: Envelope<'video.scores'>): Promise<void> {
    await this.put(`${scoresPrefix(envelope.videoId, envelope.correlationId)}${envelope.payload.detector}.json`, envelope.correlationId, envelope.payload);
  }

  async load({ videoId, correlationId }: AnalysisId): Promise<VideoParts> {
    const faces = await this.read<Envelope<'video.faces'>>(facesKey(videoId, correlationId));
    const scores = new Map<string, StoredPart<VideoScoresPayload>>();
    for await (const object of this.work.list(scoresPrefix(videoId, correlationId))) {
      const part = await this.read<VideoScoresPayload>(object.key);
      if (part) scores.set(part.value.detector, part);
    }
    return { faces, scores };
  }

  /** Every analysis whose face summary is in the work area. */
  async *analyses(): AsyncIterable<AnalysisId> {
    for await (const object of this.work.list('work/')) {
      if (!object.key.endsWith('/aggregator/faces.json')) continue;
      const part = await this.read<Envelope<'video.faces'>>(object.key);
      if (part) yield { videoId: part.value.videoId, correlationId: part.correlationId };
    }
  }

  private async put(key: string, correlationId: string, value: unknown): Promise<void> {
    const part: StoredPart<unknown> = { receivedAt: new Date().toISOString(), correlationId, value };
    await this.work.put(key, Buffer.from(JSON.stringify(part)));
  }

  private async read<T>(key: string): Promise<StoredPart<T> | undefined> {
    try {
      return JSON.parse((await this.work.get(key)).toString()) as StoredPart<T>;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }
}
