/**
 * Message contracts: one versioned envelope for every message that moves between
 * stages, and the payload of each message type. Pixels never travel inside a message:
 * frames and crops are referenced by `BlobRef` (claim check) in the work storage.
 */
import type { Box } from './raw-image';
import type { FailureCode, StageName } from './errors';

/** Version of the envelope and payload contracts below. */
export const MESSAGE_SCHEMA_VERSION = 1;

/** What every video source records. */
interface SourceBase {
  /** What the user or crawler named: a path, an s3:// or http(s):// URI; echoed in the report. */
  uri: string;
  /** When the video was submitted (ISO 8601): the report's total time counts from here. */
  submittedAt: string;
}

/** A local file (embedded mode): `path` is the absolute path a stage may open. */
export interface FileSource extends SourceBase {
  kind: 'file';
  path: string;
}

/**
 * A video in object storage: submitted as an S3 object (`kind: 's3'`), or fetched from a
 * URL by ingest and stored in the work area (`kind: 'url'`). `bucket`/`key` locate the bytes.
 */
export interface ObjectSource extends SourceBase {
  kind: 's3' | 'url';
  bucket: string;
  key: string;
}

/** Where a video came from and where its bytes are. */
export type VideoSource = FileSource | ObjectSource;

/** Facts about a video from ffprobe, echoed in the report. */
export interface VideoInfo {
  durationSeconds: number;
  width: number;
  height: number;
  fps: number;
  codec: string;
  frameCount: number;
  rotationDegrees: number;
  sizeBytes: number;
}

/**
 * A reference to pixels in the work storage (claim check): raw RGB (`rgb24`, width ×
 * height × 3 bytes) or an encoded image (`jpeg`, `png`: frames that cross the bucket
 * between a frame extractor and a face cropper running apart; `webp`: lossless face crops
 * in a crop pack; `yuv420p-med`: a crop pack's lossless face crop kept as its YUV 4:2:0
 * planes, predicted and Huffman-coded; see `common/packed-crop.ts`). The `-bt709` formats
 * are the same for video tagged BT.709, whose samples turn into RGB by another matrix.
 */
export interface BlobRef {
  key: string;
  /** `yuv420p`: planar Y, then U and V at half width and height (rounded up), as ffmpeg writes it. */
  format: 'rgb24' | 'yuv420p' | 'yuv420p-bt709' | 'jpeg' | 'png' | 'webp' | 'yuv420p-med' | 'yuv420p-bt709-med';
  width: number;
  height: number;
  /**
   * Where this image starts in the object, when several are packed into one (the crops of
   * a video, one object per crop format); the whole object when absent.
   */
  offset?: number;
}

/** One sampled frame of a video. */
export interface FrameRef {
  /** Ordinal of the frame among the decoded frames of the video. */
  frameIndex: number;
  /** Ordinal among the sampled frames, 0..sampled-1. */
  sampleIndex: number;
  ptsSeconds: number;
  blob: BlobRef;
  /**
   * The same frame already resized (RGB) to the face detector's input, made by ffmpeg in the
   * decoding pass (`deepsift scan`): the face cropper then reads `blob` only for the crops.
   */
  detectionBlob?: BlobRef;
}

/** One face of one frame, cropped for the detectors. */
export interface CropRef {
  /** Unique within the video: `<trackId>-<sampleIndex>`. */
  cropId: string;
  trackId: number;
  frameIndex: number;
  /** One blob per crop size the requested detectors need, keyed by size in pixels. */
  blobs: Record<string, BlobRef>;
}

/** A face followed across frames, as the face-cropper found it. */
export interface TrackSummary {
  trackId: number;
  detections: Array<{ frameIndex: number; ptsSeconds: number; box: Box; faceScore: number; cropId: string }>;
}

/** Milliseconds a stage spent on a video, by stage. */
export type StageTimings = Partial<Record<StageName, number>>;

/** A model as used for a video: echoed in the report so results can be traced. */
export interface ModelUse {
  name: string;
  sha256: string;
}

export interface VideoJobPayload {
  source: VideoSource;
  sizeBytes: number;
  /** Deepfake detectors to run, by manifest name. */
  detectors: string[];
}

export interface VideoFramesPayload {
  source: VideoSource;
  detectors: string[];
  video: VideoInfo;
  framesRequested: number;
  frames: FrameRef[];
  timings: StageTimings;
}

export interface VideoCropsPayload {
  detectors: string[];
  crops: CropRef[];
}

export interface VideoFacesPayload {
  source: VideoSource;
  detectors: string[];
  video: VideoInfo;
  faceDetector: ModelUse;
  frames: { sampled: number; withFaces: number; withoutFaces: number };
  tracks: TrackSummary[];
  cropCount: number;
  /**
   * Temporal detectors among `detectors` (they score landmark sequences, not crops): the
   * aggregator waits for their scores even when no crop was cut.
   */
  temporalDetectors?: string[];
  /** With temporal detectors: the landmark net that built their sequences (absent from croppers before it was sent). */
  landmarkModel?: ModelUse;
  /** With temporal detectors: the dense clips asked for, so that a report says how to reproduce them. */
  clipSettings?: ClipSettings;
  timings: StageTimings;
}

/** How a video's dense clips were taken (`DEEPSIFT_CLIP_*`). */
export interface ClipSettings {
  clipCount: number;
  clipFrames: number;
  /** Faces followed per clip, the largest first. */
  maxFaces: number;
  /** Faces whose detected box is smaller than this (longer side, pixels) are not followed. */
  minFaceSizePx: number;
}

/** Why a dense clip gave no landmark sequence (see face-cropper/landmarks/clip-landmarks.ts). */
export type NoSequenceReason = 'NO_FACE' | 'FACE_LEFT_REGION';

/**
 * One face of one dense clip, as the face cropper hands it to a temporal detector: the
 * face's box on the clip's first frame and the calibrated landmarks of the face (frames × 136 values in upstream LRNet's [−1, 1] space),
 * or why it has none. A clip gives one per face followed, the largest first; `trackId` links
 * a face's sequences across clips (absent without a face, and in messages of croppers before
 * tracks, which followed one face: read as track 0).
 */
export type ClipSequence =
  | { startFrame: number; trackId?: number; box?: Box; frames: number; values: number[] }
  | { startFrame: number; trackId?: number; box?: Box; frames: 0; reason: NoSequenceReason };

/** A video's dense clips for one temporal detector (on its `detector.<name>` queue). */
export interface VideoSequencesPayload {
  detector: string;
  /** Empty when the video is shorter than one clip. */
  clips: ClipSequence[];
  /** Frames per clip asked for. */
  clipFrames: number;
  /**
   * Set when the clips could not be read (decoding or landmarks failed): the detector reports
   * no score with this reason, and the crop detectors' scores stand. `clips` is then empty.
   */
  error?: { code: string; message: string };
}

/** What a temporal detector found in one clip: its block scores, or why there are none. */
export type ClipScores =
  | { startFrame: number; trackId?: number; box?: Box; blockScores: number[] }
  | { startFrame: number; trackId?: number; box?: Box; blockScores: []; reason: NoSequenceReason | 'TOO_SHORT' };

/** One face track's blocks over all clips. */
export interface TrackBlockScores {
  trackId: number;
  /** Blocks scored, over all clips. */
  blocks: number;
  /** Mean of those blocks' P(fake). */
  meanBlockScore: number;
}

/** A temporal detector's result for a video (beside an empty `scores`). */
export interface TemporalScores {
  clips: ClipScores[];
  /** Face tracks with blocks (absent from detectors before tracks). */
  tracks?: TrackBlockScores[];
  /**
   * The video's score: the highest of its tracks' mean block scores (with one face, the mean
   * of all blocks); null when no clip gave a block.
   */
  meanBlockScore: number | null;
  /** Why there is no score, when `meanBlockScore` is null. */
  reason?: string;
}

export interface VideoScoresPayload {
  detector: string;
  model: ModelUse;
  scores: Array<{ cropId: string; score: number }>;
  /** Temporal detectors only: per-clip block scores and the video's mean block score. */
  temporal?: TemporalScores;
  busyMs: number;
}

export interface VideoFailedPayload {
  source: VideoSource;
  stage: StageName;
  error: { code: FailureCode; message: string };
  video?: VideoInfo;
  timings: StageTimings;
}

export interface ReportReadyPayload {
  reportKey: string;
  status: 'done' | 'failed';
  label: 'FAKE' | 'REAL' | 'UNKNOWN' | null;
  score: number | null;
}

/** Payload type of each message type. */
export interface PayloadByType {
  'video.job': VideoJobPayload;
  'video.frames': VideoFramesPayload;
  'video.crops': VideoCropsPayload;
  'video.sequences': VideoSequencesPayload;
  'video.faces': VideoFacesPayload;
  'video.scores': VideoScoresPayload;
  'video.failed': VideoFailedPayload;
  'report.ready': ReportReadyPayload;
}

export type MessageType = keyof PayloadByType;

/** The envelope every message travels in. */
export interface Envelope<T extends MessageType = MessageType> {
  /** Unique per message (UUID). */
  id: string;
  type: T;
  schemaVersion: typeof MESSAGE_SCHEMA_VERSION;
  /** SHA-256 of the video's bytes. */
  videoId: string;
  /** Correlation id of the whole analysis: the job's id, or the crawler's own id. */
  correlationId: string;
  createdAt: string;
  payload: PayloadByType[T];
}

/** Any envelope, discriminated on `type`. */
export type AnyEnvelope = { [T in MessageType]: Envelope<T> }[MessageType];
