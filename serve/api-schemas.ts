/**
 * JSON Schemas of the API's requests and answers: fastify validates requests and
 * serialises answers with them, and @fastify/swagger builds the OpenAPI document from them.
 */

export const errorSchema = {
  $id: 'ApiError',
  type: 'object',
  description: 'An error: the HTTP status, a stable code and a sentence for the user.',
  required: ['statusCode', 'code', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', description: 'Stable, machine-readable: API_KEY_MISSING, API_KEY_INVALID, RATE_LIMITED, UPLOAD_TOO_LARGE, NOT_A_VIDEO, INVALID_REQUEST, UNKNOWN_DETECTOR, NOT_FOUND, ...' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

/** A job as `GET /api/v1/jobs/:id` answers it (see JobView). */
export const jobSchema = {
  $id: 'Job',
  type: 'object',
  required: ['id', 'status', 'stage', 'videoId', 'error'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['queued', 'processing', 'done', 'failed'] },
    stage: { type: 'string', description: 'The step the job is at: download, queued, analysis, report.' },
    videoId: { type: 'string', nullable: true, description: 'SHA-256 of the video, once its bytes are known.' },
    source: { type: 'string', description: "The upload's file name or the submitted URI." },
    detectors: { type: 'array', items: { type: 'string' } },
    label: { type: 'string', enum: ['FAKE', 'REAL', 'UNKNOWN'], nullable: true },
    score: { type: 'number', nullable: true, description: 'Ensemble P(fake), once done.' },
    error: {
      type: 'object',
      nullable: true,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** The 202 answer to a submission. */
export const acceptedSchema = {
  $id: 'Accepted',
  type: 'object',
  required: ['jobId', 'videoId'],
  properties: {
    jobId: { type: 'string', format: 'uuid' },
    videoId: { type: 'string', nullable: true, description: 'SHA-256 of the bytes; null for a URI until they are fetched.' },
  },
} as const;

/** One detector of `GET /api/v1/detectors`. */
export const detectorSchema = {
  $id: 'Detector',
  type: 'object',
  required: ['name', 'available', 'default'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    input: {
      type: 'object',
      properties: { width: { type: 'integer' }, height: { type: 'integer' }, layout: { type: 'string' }, channelOrder: { type: 'string' } },
    },
    threshold: { type: 'number' },
    license: { type: 'string' },
    trainingData: { type: 'string' },
    paper: { type: 'string' },
    limits: { type: 'array', items: { type: 'string' } },
    available: { type: 'boolean', description: 'Whether jobs on this server may ask for it.' },
    default: { type: 'boolean', description: 'Whether a job that names no detectors gets it.' },
  },
} as const;

/** Comma-separated detector names in a query string. */
export const detectorsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    detectors: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*(,[a-z0-9][a-z0-9-]*)*$', description: 'Detectors to run, comma-separated; default: the server\'s.' },
  },
} as const;

/** `:videoId` in a route: a lower-case hex SHA-256. */
export const videoIdParamsSchema = {
  type: 'object',
  required: ['videoId'],
  properties: { videoId: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the video.' } },
} as const;

/** Answers every API route may give. */
export const commonErrorResponses = {
  400: { $ref: 'ApiError#' },
  401: { $ref: 'ApiError#' },
  429: { $ref: 'ApiError#' },
} as const;
