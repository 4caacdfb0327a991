/** The table `deepsift scan` prints when it is done. */
import Table from 'cli-table3';
import type { ScanResult } from './embedded-pipeline';

export function summaryTable(results: ScanResult[], detectors: string[]): string {
  const table = new Table({
    head: ['video', 'faces', ...detectors, 'ensemble', 'verdict'],
    style: { head: [], border: [] },
  });
  for (const { input, report, duplicateOf } of results) {
    const faces = report.faces.reduce((n, track) => n + track.frames.length, 0);
    const name = duplicateOf ? `${input.uri} (= ${duplicateOf})` : input.uri;
    const verdict = report.status === 'failed' ? `FAILED ${report.error?.code ?? ''}`.trim() : report.label ?? '';
    table.push([
      name,
      report.status === 'failed' ? '-' : `${faces} in ${report.frames.withFaces}/${report.frames.sampled} frames`,
      ...detectors.map((d) => formatScore(report.detectors[d]?.score)),
      formatScore(report.score),
      verdict,
    ]);
  }
  return table.toString();
}

function formatScore(score: number | null | undefined): string {
  return score === null || score === undefined ? '-' : score.toFixed(3);
}
