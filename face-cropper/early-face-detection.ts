/**
 * Face detection that starts while the video is still being decoded (`scan`): the frame
 * extractor announces each frame resized for the detector (`DetectionFrameSink`), the
 * detector runs on it in order of arrival, and the face cropper later takes the faces
 * instead of running the detector itself. The model then works beside ffmpeg rather than
 * after it, which a single video, or the last ones of a scan, would otherwise wait for.
 *
 * One frame runs at a time: a run copies its frame into the model's input tensor when it
 * starts, so frames waiting here hold no memory beyond their stored pixels.
 */
import type { DetectionFrameSink, FaceDetection, RawImage } from '../common';
import type { FaceDetector } from './face-detector';

interface Job {
  input: RawImage;
  frameWidth: number;
  frameHeight: number;
  /** Dropped before it ran: skipped. */
  dropped: boolean;
  faces: Promise<FaceDetection[]>;
  resolve(faces: FaceDetection[]): void;
  reject(error: unknown): void;
}

export class EarlyFaceDetection implements DetectionFrameSink {
  /** Announced frames whose faces are not taken yet, by key. */
  private readonly announced = new Map<string, Job>();
  /** Jobs not started yet, oldest first; a taken job stays until it has run. */
  private readonly queue: Job[] = [];
  private running = false;

  constructor(private readonly detector: Pick<FaceDetector, 'detectResized'>) {}

  decoded(key: string, input: RawImage, frameWidth: number, frameHeight: number): void {
    if (!this.detector.detectResized) return;
    this.dropped([key]);
    let resolve!: Job['resolve'];
    let reject!: Job['reject'];
    const faces = new Promise<FaceDetection[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Awaited by the face cropper, or never (a dropped frame): not an unhandled rejection then.
    faces.catch(() => undefined);
    const job: Job = { input, frameWidth, frameHeight, dropped: false, faces, resolve, reject };
    this.announced.set(key, job);
    this.queue.push(job);
    this.runNext();
  }

  /** The faces of the frame stored under `key` if it was announced (it is then forgotten here); else undefined. */
  take(key: string): Promise<FaceDetection[]> | undefined {
    const job = this.announced.get(key);
    this.announced.delete(key);
    return job?.faces;
  }

  dropped(keys: readonly string[]): void {
    for (const key of keys) {
      const job = this.announced.get(key);
      if (job === undefined) continue;
      this.announced.delete(key);
      // Already running: it copied its pixels when it started, and its result goes nowhere.
      job.dropped = true;
    }
  }

  /** Frames announced and neither taken nor dropped. */
  get size(): number {
    return this.announced.size;
  }

  private runNext(): void {
    if (this.running) return;
    let job = this.queue.shift();
    while (job?.dropped) job = this.queue.shift();
    if (job === undefined) return;
    this.running = true;
    // detectResized copies the pixels into the model's input tensor before its first await.
    this.detector
      .detectResized!(job.input, job.frameWidth, job.frameHeight)
      .then(job.resolve, job.reject)
      .finally(() => {
        this.running = false;
        this.runNext();
      });
  }
}
