/**
 * A face's landmark sequence as LRNet reads it: one row of 136 values per frame (68 iBUG
 * 300-W points, x then y, calibrated and mapped to [−1, 1] as (p − 200) / 200 in the
 * 400×400 face), and upstream's plain-text file format of the same (`np.savetxt`: one
 * frame per line, values separated by white space).
 */

/** Values per frame: 68 points × (x, y). */
export const LANDMARK_VALUES_PER_FRAME = 136;

/** Consecutive frames of one face's landmarks, row-major [frames, 136]. */
export interface LandmarkSequence {
  frames: number;
  values: Float32Array;
}

/** Why a landmark file could not be read. */
export class LandmarkFileError extends Error {
  override readonly name = 'LandmarkFileError';
  readonly code = 'INVALID_LANDMARKS';

  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** Parses upstream's landmark text; throws `LandmarkFileError` naming the first bad line. */
export function parseLandmarkText(text: string, file: string): LandmarkSequence {
  const rows: number[][] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const fields = line.trim().split(/\s+/);
    if (fields.length !== LANDMARK_VALUES_PER_FRAME) {
      throw new LandmarkFileError(file, `line ${index + 1} has ${fields.length} values, expected ${LANDMARK_VALUES_PER_FRAME}.`);
    }
    const row = fields.map(Number);
    if (row.some((value) => !Number.isFinite(value))) throw new LandmarkFileError(file, `line ${index + 1} holds a value that is not a number.`);
    rows.push(row);
  });
  if (rows.length === 0) throw new LandmarkFileError(file, 'holds no frames.');
  const values = new Float32Array(rows.length * LANDMARK_VALUES_PER_FRAME);
  rows.forEach((row, frame) => values.set(row, frame * LANDMARK_VALUES_PER_FRAME));
  return { frames: rows.length, values };
}
