/** Whether a calibration was fitted for the scan it is about to be applied to. Pure. */
import type { Calibration } from './calibration';

/** What a scan runs with, as far as a calibration cares. */
export interface ScanSettings {
  detectors: readonly string[];
  framesPerVideo: number;
  /** The configured aggregation; undefined for the manifests' own. */
  aggregation: string | undefined;
}

/** Sentences warning of each way the calibration does not fit the scan (empty when it fits). */
export function calibrationMismatches(calibration: Calibration, scan: ScanSettings): string[] {
  const warnings: string[] = [];
  const { fittedOn } = calibration;
  if (fittedOn.framesPerVideo !== null && fittedOn.framesPerVideo !== scan.framesPerVideo) {
    warnings.push(`it was fitted on scores of ${fittedOn.framesPerVideo} frames per video, this scan samples ${scan.framesPerVideo}`);
  }
  if ((fittedOn.aggregation ?? undefined) !== scan.aggregation) {
    const name = (aggregation: string | null | undefined) => aggregation ?? "the manifests' own";
    warnings.push(`it was fitted with aggregation ${name(fittedOn.aggregation)}, this scan uses ${name(scan.aggregation)}`);
  }
  const uncalibrated = scan.detectors.filter((d) => calibration.detectors[d] === undefined);
  if (uncalibrated.length > 0) warnings.push(`it has no calibration for ${uncalibrated.join(', ')}, whose verdicts stay uncalibrated`);
  const needed = Object.keys(calibration.ensemble?.weights ?? {});
  const missing = needed.filter((d) => !scan.detectors.includes(d));
  if (missing.length > 0) warnings.push(`its ensemble stacker needs ${missing.join(', ')}, which this scan does not run: the ensemble stays the uncalibrated mean`);
  return warnings;
}
