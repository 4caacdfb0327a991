// What the result page draws, computed from a report.

/** Per detector: [{ x: seconds, y: highest P(fake) of the faces in that frame }], sorted by time. */
export function frameScoreSeries(report) {
  const byDetector = new Map(Object.keys(report.detectors).map((name) => [name, new Map()]));
  for (const track of report.faces) {
    for (const frame of track.frames) {
      for (const [name, score] of Object.entries(frame.scores)) {
        const series = byDetector.get(name);
        if (!series) continue;
        series.set(frame.ptsSeconds, Math.max(series.get(frame.ptsSeconds) ?? 0, score));
      }
    }
  }
  return [...byDetector].map(([name, points]) => ({
    name,
    points: [...points].map(([x, y]) => ({ x, y })).sort((a, b) => a.x - b.x),
  }));
}

/** The faces to draw at `time`: those of the sampled frame nearest to it, within `window` seconds. */
export function facesAt(report, time, window) {
  let best = null;
  for (const track of report.faces) {
    for (const frame of track.frames) {
      const distance = Math.abs(frame.ptsSeconds - time);
      if (distance <= window && (best === null || distance < best.distance - 1e-6)) best = { distance, pts: frame.ptsSeconds };
    }
  }
  if (best === null) return [];
  const faces = [];
  for (const track of report.faces) {
    for (const frame of track.frames) {
      if (Math.abs(frame.ptsSeconds - best.pts) < 1e-6) faces.push({ trackId: track.trackId, ...frame });
    }
  }
  return faces;
}

/** Half the spacing of the sampled frames: how long a frame's boxes stay drawn. */
export function sampleWindow(report) {
  const duration = report.video?.durationSeconds ?? 0;
  const sampled = report.frames.sampled || 1;
  return duration > 0 ? duration / sampled / 2 : 0.5;
}

/** Mean of a face's scores over the detectors. */
export function meanScore(scores) {
  const values = Object.values(scores);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}
