/**
 * The aggregator's per-analysis state machine, persisted with conditional writes so that
 * any number of aggregator replicas (or a restarted one) agree on who reports:
 *
 *   (absent) ──▶ collecting ──▶ reported (the report is stored here) ──▶ announced
 *
 * While `collecting`, the state also holds the parts received so far (the face summary,
 * each detector's scores): one object per analysis, read once and written once per message.
 * Each move is a compare-and-swap on the state object (S3 `If-Match` / `If-None-Match`,
 * or the in-memory equivalent): of two replicas adding parts at once, the second reads
 * the state again and adds its part to the first's; of two racing to report the same
 * analysis, one wins and the other sees `reported`. A replica that dies after winning leaves the report
 * in the state, and whoever next looks finishes writing and announcing it.
 *
 * Keys: the state lives at `aggregator/analyses/<videoId>/<correlationId>.json`, outside
 * the work area, so that it outlives the work area's cleanup and late messages about a
 * reported analysis are recognised (a bucket lifecycle rule may expire these small
 * objects after a while). `aggregator/open/<videoId>/<correlationId>` lists the analyses
 * not yet reported: the partial-report sweep reads this index instead of listing `work/`.
 */
import { analysisStateKey, safeKeySegment, type Storage, type VersionedStorage } from '../common';
import type { VideoReport } from './report';
import type { AnalysisId, StoredParts } from './video-parts';

/** Where an analysis stands. */
export type AnalysisStatus = 'collecting' | 'reported' | 'announced';

/** The stored state of one analysis. */
export interface AnalysisState extends StoredParts {
  status: AnalysisStatus;
  videoId: string;
  correlationId: string;
  /** When the state last moved (ISO 8601). */
  updatedAt: string;
  /** From `reported` until it is announced: the report to write and announce. */
  report?: VideoReport;
  /** Who claimed the report: the id of the message that completed it, or a replica's sweep. */
  claimedBy?: string;
}

/** A state as read, with the version a conditional write must match (`null`: absent). */
export interface VersionedState {
  state: AnalysisState;
  version: string | null;
}

/** Reads and moves analysis states, and keeps the index of open analyses. */
export class AnalysisStateStore {
  constructor(private readonly storage: Storage & VersionedStorage) {}

  /** The analysis's state; a fresh `collecting` one (version `null`) when none is stored. */
  async read(analysis: AnalysisId): Promise<VersionedState> {
    const stored = await this.storage.getVersioned(stateKey(analysis));
    if (!stored) return { state: { status: 'collecting', ...analysis, updatedAt: new Date().toISOString() }, version: null };
    return { state: JSON.parse(stored.body.toString()) as AnalysisState, version: stored.version };
  }

  /**
   * Moves the state if nobody changed it since `from` was read: resolves with the new
   * version, or undefined when somebody did.
   */
  async move(from: VersionedState, to: Omit<AnalysisState, 'updatedAt'>): Promise<string | undefined> {
    const { updatedAt: _, ...fields } = to as AnalysisState;
    const body = Buffer.from(JSON.stringify({ ...fields, updatedAt: new Date().toISOString() }));
    return this.storage.putConditional(stateKey(to), body, from.version);
  }

  /** Lists the analysis as open (its faces arrived; its report is not written yet). */
  async markOpen(analysis: AnalysisId): Promise<void> {
    await this.storage.put(openKey(analysis), Buffer.from(JSON.stringify(analysis)));
  }

  /** Removes the analysis from the open index. */
  async markClosed(analysis: AnalysisId): Promise<void> {
    await this.storage.delete(openKey(analysis));
  }

  /** Every analysis in the open index. */
  async *open(): AsyncIterable<AnalysisId> {
    for await (const object of this.storage.list(OPEN_PREFIX)) {
      try {
        yield JSON.parse((await this.storage.get(object.key)).toString()) as AnalysisId;
      } catch {
        // Removed between the listing and the read: closed meanwhile.
      }
    }
  }
}

const OPEN_PREFIX = 'aggregator/open/';

function stateKey({ videoId, correlationId }: AnalysisId): string {
  return analysisStateKey(videoId, correlationId);
}

function openKey({ videoId, correlationId }: AnalysisId): string {
  return `${OPEN_PREFIX}${videoId}/${safeKeySegment(correlationId)}`;
}
