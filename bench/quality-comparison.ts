/**
 * The quality half of `npm run bench`: scans the sample video and every video of
 * `../shared/eval` with this build and compares each report with the one an earlier build
 * wrote (`--quality-baseline DIR`, reports as `deepsift scan -o DIR` writes them): frames with
 * faces and face detections per video must not drop, and each detector's video score must
 * stay within {@link MAX_SCORE_DELTA}. Printed, never asserted: a benchmark, not a test.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runMeasured } from './measure';
import { printTable } from './print-table';
import { repoRoot, SAMPLE_VIDEO, sharedDir } from './sample-copies';

/** Largest change of a detector's video score that counts as no loss of quality. */
export const MAX_SCORE_DELTA = 0.02;

/** The parts of a report compared. */
interface ReportSummary {
  videoId: string;
  name: string;
  status: string;
  withFaces: number;
  detections: number;
  scores: Record<string, number>;
}

/** What the comparison found, for the summary line. */
export interface QualityVerdict {
  videos: number;
  facesDropped: number;
  maxScoreDelta: number;
  missing: string[];
}

async function readReports(dir: string): Promise<Map<string, ReportSummary>> {
  const reports = new Map<string, ReportSummary>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as {
      videoId: string;
      status: string;
      source?: { uri?: string };
      frames?: { withFaces?: number };
      faces?: Array<{ frames?: unknown[] }>;
      detectors?: Record<string, { score?: number }>;
    };
    reports.set(report.videoId, {
      videoId: report.videoId,
      name: path.basename(report.source?.uri ?? report.videoId),
      status: report.status,
      withFaces: report.frames?.withFaces ?? 0,
      detections: (report.faces ?? []).reduce((sum, track) => sum + (track.frames?.length ?? 0), 0),
      scores: Object.fromEntries(Object.entries(report.detectors ?? {}).map(([name, d]) => [name, d.score ?? Number.NaN])),
    });
  }
  return reports;
}

/** Scans the quality set with this build into `outDir`, then prints the comparison with `baselineDir`. */
export async function compareQuality(baselineDir: string, outDir: string, log: (message: string) => void): Promise<QualityVerdict> {
  const shared = sharedDir();
  const inputs = [path.join(shared, SAMPLE_VIDEO), path.join(shared, 'eval')];
  log(`quality: scanning ${inputs.join(' and ')}...`);
  const env = { ...process.env, DEEPSIFT_WEIGHTS_MIRROR: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(shared, 'weights') };
  const scan = await runMeasured(process.execPath, [path.join(repoRoot(), 'bin', 'deepsift.js'), 'scan', ...inputs, '-o', outDir, '--quiet'], env);
  if (scan.exitCode !== 0) throw new Error(`quality scan exited with ${scan.exitCode}:\n${scan.stderr.slice(-4000)}`);
  const [before, after] = await Promise.all([readReports(baselineDir), readReports(outDir)]);

  const verdict: QualityVerdict = { videos: 0, facesDropped: 0, maxScoreDelta: 0, missing: [] };
  const table: string[][] = [['video', 'frames w/ faces', 'detections', 'detector', 'score before', 'score after', 'Δ score']];
  for (const now of [...after.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const old = before.get(now.videoId);
    if (!old) {
      verdict.missing.push(now.name);
      continue;
    }
    verdict.videos += 1;
    if (now.withFaces < old.withFaces || now.detections < old.detections) verdict.facesDropped += 1;
    for (const [i, detector] of Object.keys(old.scores).entries()) {
      const delta = (now.scores[detector] ?? Number.NaN) - old.scores[detector]!;
      verdict.maxScoreDelta = Math.max(verdict.maxScoreDelta, Number.isNaN(delta) ? Number.POSITIVE_INFINITY : Math.abs(delta));
      table.push([
        i === 0 ? now.name : '', i === 0 ? `${old.withFaces} → ${now.withFaces}` : '', i === 0 ? `${old.detections} → ${now.detections}` : '',
        detector, old.scores[detector]!.toFixed(4), (now.scores[detector] ?? Number.NaN).toFixed(4), `${delta >= 0 ? '+' : ''}${delta.toFixed(4)}`,
      ]);
    }
  }
  console.log('');
  console.log(`Quality against ${baselineDir} (sample video and ../shared/eval):`);
  printTable(table);
  const ok = verdict.facesDropped === 0 && verdict.maxScoreDelta <= MAX_SCORE_DELTA && verdict.missing.length === 0;
  console.log([
    '',
    `${verdict.videos} videos compared; videos with fewer faces: ${verdict.facesDropped}; largest |Δ video score|: ${verdict.maxScoreDelta.toFixed(4)} (limit ${MAX_SCORE_DELTA})`
      + `${verdict.missing.length > 0 ? `; not in the baseline: ${verdict.missing.join(', ')}` : ''} — ${ok ? 'no loss of quality' : 'QUALITY CHANGED'}.`,
  ].join('\n'));
  return verdict;
}
