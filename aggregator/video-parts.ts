/**
 * What the aggregator has received about a video, kept in the work area
 * (`work/<videoId>/aggregator/…`) before the message is acknowledged, so that a restart
 * or another aggregator instance can finish the report.
 */
import { ObjectNotFoundError, type Envelope, type Storage, type VideoScoresPayload } from '../common';

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

const facesKey = (videoId: string) => `work/${videoId}/aggregator/faces.json`;
const scoresPrefix = (videoId: string) => `work/${videoId}/aggregator/scores/`;

/** Reads and writes a video's parts. */
export class VideoPartsStore {
  constructor(private readonly work: Storage) {}

  async putFaces(envelope: Envelope<'video.faces'>): Promise<void> {
    await this.put(facesKey(envelope.videoId), envelope.correlationId, envelope);
  }

  async putScores(envelope: Envelope<'video.scores'>): Promise<void> {
    await this.put(`${scoresPrefix(envelope.videoId)}${envelope.payload.detector}.json`, envelope.correlationId, envelope.payload);
  }

  async load(videoId: string): Promise<VideoParts> {
    const faces = await this.read<Envelope<'video.faces'>>(facesKey(videoId));
    const scores = new Map<string, StoredPart<VideoScoresPayload>>();
    for await (const object of this.work.list(scoresPrefix(videoId))) {
      const part = await this.read<VideoScoresPayload>(object.key);
      if (part) scores.set(part.value.detector, part);
    }
    return { faces, scores };
  }

  /** Every video with parts in the work area. */
  async *videoIds(): AsyncIterable<string> {
    let last: string | undefined;
    for await (const object of this.work.list('work/')) {
      const match = /^work\/([0-9a-f]{64})\/aggregator\//.exec(object.key);
      if (match && match[1] !== last) {
        last = match[1];
        yield last!;
      }
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
