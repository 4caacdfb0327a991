import type { Box, FaceDetection } from '../common/raw-image';
import { FaceCropperError } from './face-cropper-error';
import { iou } from './non-max-suppression';

/** One face followed across sampled frames. */
export interface Track {
  /** Unique within one tracker, assigned 0, 1, 2, … in order of first appearance. */
  id: number;
  /** The track's detections in the order they were matched. */
  detections: Array<{ frameIndex: number; sampleOrdinal: number; box: Box; score: number }>;
}

/** Options of {@link IouTracker}. */
export interface IouTrackerOptions {
  /** Least IoU between a track's last box and a detection for them to match. Default 0.3. */
  iouThreshold: number;
  /** Consecutive samples a track may miss and still be continued; one more miss ends it. Default 4. */
  maxGapFrames: number;
}

/** Defaults for {@link IouTrackerOptions}. */
export const DEFAULT_IOU_TRACKER_OPTIONS: IouTrackerOptions = Object.freeze({ iouThreshold: 0.3, maxGapFrames: 4 });

interface ActiveTrack {
  track: Track;
  lastBox: Box;
  lastSampleOrdinal: number;
}

/**
 * Greedy IoU tracker (in the spirit of Bochinski et al., "High-Speed Tracking-by-Detection
 * Without Using Image Information", AVSS 2017): each sample, pairs of (active track, detection)
 * are matched highest IoU first; unmatched detections start new tracks.
 *
 * Gaps are counted in sample ordinals (0, 1, 2, … in the order the caller samples frames),
 * not in decoded-frame indices, so the same `maxGapFrames` means the same thing whatever the
 * sampling rate. The decoded-frame index is only recorded on the detections.
 */
export class IouTracker {
  private readonly options: IouTrackerOptions;
  private readonly all: Track[] = [];
  private active: ActiveTrack[] = [];
  private lastSampleOrdinal = -1;

  constructor(options: Partial<IouTrackerOptions> = {}) {
    this.options = { ...DEFAULT_IOU_TRACKER_OPTIONS, ...options };
    const { iouThreshold, maxGapFrames } = this.options;
    if (!(iouThreshold > 0 && iouThreshold <= 1)) {
      throw new FaceCropperError('INVALID_OPTIONS', `iouThreshold must be in (0, 1], got ${iouThreshold}`);
    }
    if (!Number.isInteger(maxGapFrames) || maxGapFrames < 0) {
      throw new FaceCropperError('INVALID_OPTIONS', `maxGapFrames must be an integer >= 0, got ${maxGapFrames}`);
    }
  }

  /**
   * Adds one sample's detections and returns the track id of each, in input order.
   * `sampleOrdinal` must increase from call to call; `frameIndex` (the decoded-frame index,
   * default the sample ordinal) is recorded on the track.
   */
  update(sampleOrdinal: number, dets: FaceDetection[], frameIndex: number = sampleOrdinal): number[] {
    if (!Number.isInteger(sampleOrdinal) || sampleOrdinal <= this.lastSampleOrdinal) {
      throw new RangeError(`sampleOrdinal must be an integer above ${this.lastSampleOrdinal}, got ${sampleOrdinal}`);
    }
    this.lastSampleOrdinal = sampleOrdinal;
    // A track last seen at s has missed (sampleOrdinal - s - 1) samples by now.
    this.active = this.active.filter((a) => sampleOrdinal - a.lastSampleOrdinal - 1 <= this.options.maxGapFrames);

    const assigned = this.matchGreedily(dets);
    return dets.map((det, d) => {
      const owner = assigned.get(d) ?? this.startTrack();
      owner.track.detections.push({ frameIndex, sampleOrdinal, box: det.box, score: det.score });
      owner.lastBox = det.box;
      owner.lastSampleOrdinal = sampleOrdinal;
      return owner.track.id;
    });
  }

  /** Every track so far, ended or still active, by id. */
  tracks(): Track[] {
    return [...this.all];
  }

  /** Detection index → active track, taking candidate pairs from highest IoU down. */
  private matchGreedily(dets: FaceDetection[]): Map<number, ActiveTrack> {
    const pairs: Array<{ overlap: number; t: number; d: number }> = [];
    this.active.forEach((a, t) => {
      dets.forEach((det, d) => {
        const overlap = iou(a.lastBox, det.box);
        if (overlap >= this.options.iouThreshold) pairs.push({ overlap, t, d });
      });
    });
    pairs.sort((p, q) => q.overlap - p.overlap);

    const assigned = new Map<number, ActiveTrack>();
    const usedTracks = new Set<number>();
    for (const { t, d } of pairs) {
      if (usedTracks.has(t) || assigned.has(d)) continue;
      usedTracks.add(t);
      assigned.set(d, this.active[t]);
    }
    return assigned;
  }

  private startTrack(): ActiveTrack {
    const track: Track = { id: this.all.length, detections: [] };
    this.all.push(track);
    const started: ActiveTrack = { track, lastBox: { x1: 0, y1: 0, x2: 0, y2: 0 }, lastSampleOrdinal: -1 };
    this.active.push(started);
    return started;
  }
}
