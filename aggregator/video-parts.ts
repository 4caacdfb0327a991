/**
 * What the aggregator has received about an analysis: the face summary and each detector's
 * scores. They are kept in the analysis's state object (`analysis-state.ts`), written before
 * the message is acknowledged, so that a restart or another aggregator replica can finish
 * the report.
 *
 * Aggregators before 2026-12 kept them as objects of their own in the work area
 * (`work/<videoId>/<correlationId>/aggregator/…`); {@link readLegacyParts} reads those, so
 * that analyses in flight during an upgrade are still reported.
 */
import { ObjectNotFoundError, workPrefix, type Envelope, type Storage, type VideoScoresPayload } from '../common';

/** A part as stored: the message and when it first arrived. */
export interface StoredPart<T> {
  receivedAt: string;
  correlationId: string;
  value: T;
}

export interface VideoParts {
  faces?: StoredPart<Envelope<'video.faces'>>;
  scores: Map<string, StoredPart<VideoScoresPayload>>;
}

/** One analysis of one video. */
export interface AnalysisId {
  videoId: string;
  correlationId: string;
}

/** Parts as they are stored in an analysis's state. */
export interface StoredParts {
  faces?: StoredPart<Envelope<'video.faces'>>;
  scores?: Record<string, StoredPart<VideoScoresPayload>>;
}

/** The parts of a stored state, as a {@link VideoParts}. */
export function partsOf(stored: StoredParts): VideoParts {
  return { faces: stored.faces, scores: new Map(Object.entries(stored.scores ?? {})) };
}

/**
 * `stored` with the part `envelope` carries; undefined when it is there already (a message
 * delivered again keeps the first arrival's time, which the partial-report timeout counts from).
 */
export function withPart<T extends StoredParts>(stored: T, envelope: Envelope<'video.faces'> | Envelope<'video.scores'>): T | undefined {
  const receivedAt = new Date().toISOString();
  if (envelope.type === 'video.faces') {
    if (stored.faces) return undefined;
    return { ...stored, faces: { receivedAt, correlationId: envelope.correlationId, value: envelope } };
  }
  const { detector } = envelope.payload;
  if (stored.scores?.[detector]) return undefined;
  return { ...stored, scores: { ...stored.scores, [detector]: { receivedAt, correlationId: envelope.correlationId, value: envelope.payload } } };
}

/** `current` with the parts of `legacy` it lacks. */
export function mergeParts(current: VideoParts, legacy: VideoParts): VideoParts {
  return { faces: current.faces ?? legacy.faces, scores: new Map([...legacy.scores, ...current.scores]) };
}

const legacyFacesKey = ({ videoId, correlationId }: AnalysisId) => `${workPrefix(videoId, correlationId)}aggregator/faces.json`;
const legacyScoresPrefix = ({ videoId, correlationId }: AnalysisId) => `${workPrefix(videoId, correlationId)}aggregator/scores/`;

/** The parts an aggregator from before 2026-12 wrote to the work area (none when there are none). */
export async function readLegacyParts(work: Storage, analysis: AnalysisId): Promise<VideoParts> {
  const faces = await readPart<Envelope<'video.faces'>>(work, legacyFacesKey(analysis));
  const scores = new Map<string, StoredPart<VideoScoresPayload>>();
  for await (const object of work.list(legacyScoresPrefix(analysis))) {
    const part = await readPart<VideoScoresPayload>(work, object.key);
    if (part) scores.set(part.value.detector, part);
  }
  return { faces, scores };
}

async function readPart<T>(work: Storage, key: string): Promise<StoredPart<T> | undefined> {
  try {
    return JSON.parse((await work.get(key)).toString()) as StoredPart<T>;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
}
