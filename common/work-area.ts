/**
 * Keys of the work area: intermediate data of one analysis of one video, under
 * `work/<videoId>/<correlationId>/`. Keying by the analysis as well as the video keeps two
 * analyses of the same bytes (a replayed job, a resubmission) from touching each other's
 * frames, crops or state; the aggregator deletes the prefix when the analysis is reported.
 */

/** The prefix of one analysis's intermediate data. */
export function workPrefix(videoId: string, correlationId: string): string {
  return `work/${videoId}/${safeKeySegment(correlationId)}/`;
}

/**
 * Where the aggregator keeps the state of one analysis (`aggregator/analysis-state.ts`). It
 * outlives the work area: a stage that meets a late duplicate after the work area was emptied
 * finds here that the analysis reached the aggregator.
 */
export function analysisStateKey(videoId: string, correlationId: string): string {
  return `aggregator/analyses/${videoId}/${safeKeySegment(correlationId)}.json`;
}

/** Crawler correlation ids are free text: keep a key segment to safe characters. */
export function safeKeySegment(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, 200) || '_';
}
