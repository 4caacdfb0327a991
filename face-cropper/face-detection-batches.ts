/**
 * Face detection over a video's frames in batches. When the face cropper asks for the faces
 * of one frame already resized for the detector, the next frames of the video (up to the
 * batch size) run with it in one run of the model, and their faces wait here until asked
 * for. On a GPU a batch costs little more than one frame; on CPU the batch is 1 and each
 * frame runs alone, as before.
 */
import type { FaceDetection, FrameRef, RawImage, Storage } from '../common';
import type { FaceDetector, ResizedFrame } from './face-detector';

export class FaceDetectionBatches {
  private readonly ready = new Map<FrameRef, FaceDetection[]>();

  /**
   * @param frames the video's frames, in the order the cropper asks for them
   * @param storage where the frames resized for the detector are (`FrameRef.detectionBlob`)
   * @param batchSize frames per run at most; 1 runs each frame alone
   */
  constructor(
    private readonly detector: FaceDetector,
    private readonly frames: readonly FrameRef[],
    private readonly storage: Storage,
    private readonly batchSize: number,
  ) {}

  /** The faces of `frame`, whose resized pixels `input` the caller has read. */
  async facesOf(frame: FrameRef, input: RawImage): Promise<FaceDetection[]> {
    const known = this.ready.get(frame);
    if (known) {
      this.ready.delete(frame);
      return known;
    }
    const batch = [frame, ...(await this.nextFrames(frame))];
    const inputs = [input, ...(await Promise.all(batch.slice(1).map((f) => this.read(f))))];
    const resized = batch.map((f, i): ResizedFrame => ({ input: inputs[i]!, frameWidth: f.blob.width, frameHeight: f.blob.height }));
    const faces = this.detector.detectResizedBatch && batch.length > 1
      ? await this.detector.detectResizedBatch(resized)
      : [await this.detector.detectResized!(input, frame.blob.width, frame.blob.height)];
    batch.slice(1).forEach((f, i) => this.ready.set(f, faces[i + 1]!));
    return faces[0]!;
  }

  /**
   * The frames after `frame` that fill its batch: resized ones, still stored, not yet
   * detected. A frame that cannot be read ends the batch: the cropper's own read of it
   * reports why.
   */
  private async nextFrames(frame: FrameRef): Promise<FrameRef[]> {
    const next: FrameRef[] = [];
    if (!this.detector.detectResizedBatch) return next;
    for (let i = this.frames.indexOf(frame) + 1; i < this.frames.length && next.length + 1 < this.batchSize; i++) {
      const candidate = this.frames[i]!;
      if (!candidate.detectionBlob || this.ready.has(candidate) || !(await this.storage.exists(candidate.detectionBlob.key))) break;
      next.push(candidate);
    }
    return next;
  }

  private async read(frame: FrameRef): Promise<RawImage> {
    const blob = frame.detectionBlob!;
    return { data: await this.storage.get(blob.key), width: blob.width, height: blob.height, channels: 3 };
  }
}
