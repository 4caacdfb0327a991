/**
 * JSON Schemas of each payload in `messages.ts`, used by `validateEnvelope` wherever
 * a message enters a stage. They check what a consumer relies on, not every field.
 */
const nonEmptyString = { type: 'string', minLength: 1 };
const count = { type: 'integer', minimum: 0 };
const stringList = { type: 'array', items: nonEmptyString };

const source = {
  oneOf: [
    {
      type: 'object',
      required: ['kind', 'uri', 'path', 'submittedAt'],
      properties: { kind: { const: 'file' }, uri: nonEmptyString, path: nonEmptyString, submittedAt: nonEmptyString },
    },
    {
      type: 'object',
      required: ['kind', 'uri', 'bucket', 'key', 'submittedAt'],
      properties: { kind: { enum: ['s3', 'url'] }, uri: nonEmptyString, bucket: nonEmptyString, key: nonEmptyString, submittedAt: nonEmptyString },
    },
  ],
};

const blobRef = {
  type: 'object',
  required: ['key', 'format', 'width', 'height'],
  properties: { key: nonEmptyString, format: { enum: ['rgb24', 'yuv420p', 'yuv420p-bt709', 'jpeg', 'png', 'webp', 'yuv420p-med', 'yuv420p-bt709-med'] }, width: count, height: count, offset: count },
};

const videoInfo = {
  type: 'object',
  required: ['durationSeconds', 'width', 'height', 'fps', 'codec', 'frameCount'],
  properties: {
    durationSeconds: { type: 'number', minimum: 0 },
    width: count,
    height: count,
    fps: { type: 'number', minimum: 0 },
    codec: { type: 'string' },
    frameCount: count,
  },
};

const probability = { type: 'number', minimum: 0, maximum: 1 };
const noSequenceReason = { enum: ['NO_FACE', 'FACE_LEFT_REGION'] };
const box = { type: 'object', required: ['x1', 'y1', 'x2', 'y2'], properties: { x1: { type: 'number' }, y1: { type: 'number' }, x2: { type: 'number' }, y2: { type: 'number' } } };

/** A dense clip's landmarks (frames × 136 values), or why it has none. */
const clipSequence = {
  oneOf: [
    {
      type: 'object',
      required: ['startFrame', 'frames', 'values'],
      properties: { startFrame: count, trackId: count, box, frames: { type: 'integer', minimum: 1 }, values: { type: 'array', items: { type: 'number' } } },
    },
    {
      type: 'object',
      required: ['startFrame', 'frames', 'reason'],
      properties: { startFrame: count, trackId: count, box, frames: { const: 0 }, reason: noSequenceReason },
    },
  ],
};

/** A temporal detector's per-clip block scores and video score. */
const temporalScores = {
  type: 'object',
  required: ['clips', 'meanBlockScore'],
  properties: {
    clips: {
      type: 'array',
      items: {
        type: 'object',
        required: ['startFrame', 'blockScores'],
        properties: { startFrame: count, trackId: count, box, blockScores: { type: 'array', items: probability }, reason: { type: 'string' } },
      },
    },
    tracks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['trackId', 'blocks', 'meanBlockScore'],
        properties: { trackId: count, blocks: count, meanBlockScore: probability },
      },
    },
    meanBlockScore: { oneOf: [probability, { type: 'null' }] },
    reason: { type: 'string' },
  },
};

const timings = { type: 'object', additionalProperties: { type: 'number' } };
const modelUse = { type: 'object', required: ['name', 'sha256'], properties: { name: nonEmptyString, sha256: { type: 'string' } } };

/** Payload schema by message type. */
export const PAYLOAD_SCHEMAS: Record<string, object> = {
  'video.job': {
    type: 'object',
    required: ['source', 'sizeBytes', 'detectors'],
    properties: { source, sizeBytes: count, detectors: { ...stringList, minItems: 1 } },
  },
  'video.frames': {
    type: 'object',
    required: ['source', 'detectors', 'video', 'framesRequested', 'frames', 'timings'],
    properties: {
      source,
      detectors: stringList,
      video: videoInfo,
      framesRequested: count,
      frames: {
        type: 'array',
        items: {
          type: 'object',
          required: ['frameIndex', 'sampleIndex', 'ptsSeconds', 'blob'],
          properties: { frameIndex: count, sampleIndex: count, ptsSeconds: { type: 'number' }, blob: blobRef, detectionBlob: blobRef },
        },
      },
      timings,
    },
  },
  'video.crops': {
    type: 'object',
    required: ['detectors', 'crops'],
    properties: {
      detectors: stringList,
      crops: {
        type: 'array',
        items: {
          type: 'object',
          required: ['cropId', 'trackId', 'frameIndex', 'blobs'],
          properties: { cropId: nonEmptyString, trackId: count, frameIndex: count, blobs: { type: 'object', additionalProperties: blobRef } },
        },
      },
    },
  },
  'video.faces': {
    type: 'object',
    required: ['source', 'detectors', 'video', 'faceDetector', 'frames', 'tracks', 'cropCount', 'timings'],
    properties: {
      source,
      detectors: stringList,
      video: videoInfo,
      faceDetector: modelUse,
      frames: {
        type: 'object',
        required: ['sampled', 'withFaces', 'withoutFaces'],
        properties: { sampled: count, withFaces: count, withoutFaces: count },
      },
      tracks: { type: 'array', items: { type: 'object', required: ['trackId', 'detections'] } },
      cropCount: count,
      temporalDetectors: stringList,
      landmarkModel: modelUse,
      clipSettings: {
        type: 'object',
        required: ['clipCount', 'clipFrames', 'maxFaces', 'minFaceSizePx'],
        properties: { clipCount: count, clipFrames: count, maxFaces: count, minFaceSizePx: count },
      },
      timings,
    },
  },
  'video.sequences': {
    type: 'object',
    required: ['detector', 'clips', 'clipFrames'],
    properties: {
      detector: nonEmptyString,
      clips: { type: 'array', items: clipSequence },
      clipFrames: { type: 'integer', minimum: 1 },
      error: { type: 'object', required: ['code', 'message'], properties: { code: nonEmptyString, message: { type: 'string' } } },
    },
  },
  'video.scores': {
    type: 'object',
    required: ['detector', 'model', 'scores', 'busyMs'],
    properties: {
      detector: nonEmptyString,
      model: modelUse,
      scores: {
        type: 'array',
        items: {
          type: 'object',
          required: ['cropId', 'score'],
          properties: { cropId: nonEmptyString, score: probability },
        },
      },
      temporal: temporalScores,
      busyMs: { type: 'number', minimum: 0 },
    },
  },
  'video.failed': {
    type: 'object',
    required: ['source', 'stage', 'error', 'timings'],
    properties: {
      source,
      stage: nonEmptyString,
      error: { type: 'object', required: ['code', 'message'], properties: { code: nonEmptyString, message: { type: 'string' } } },
      timings,
    },
  },
  'report.ready': {
    type: 'object',
    required: ['reportKey', 'status', 'label', 'score'],
    properties: {
      reportKey: nonEmptyString,
      status: { enum: ['done', 'failed'] },
      label: { enum: ['FAKE', 'REAL', 'UNKNOWN', null] },
      score: { type: ['number', 'null'] },
    },
  },
};
