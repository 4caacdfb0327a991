/**
 * The `/api/v1` routes: uploads and URI jobs (202), jobs, reports, detectors, media and the
 * event stream. Every route is validated by schema; every one but `detectors` and `health`
 * needs an API key when keys are configured; every one is rate-limited per key (per address
 * for requests without a valid key).
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { AnalysisBackend, RemoteSource } from './analysis-backend';
import { ApiError } from './api-error';
import type { ApiKeyStore } from './api-keys';
import { commonErrorResponses, detectorsQuerySchema, videoIdParamsSchema } from './api-schemas';
import type { DetectorInfo } from './detector-catalog';
import { registerEventStreamRoute } from './event-stream-route';
import type { JobService } from './job-service';
import type { MediaLinks } from './media-links';
import { registerMediaRoutes } from './media-route';
import { requestKeyId, requireApiKey } from './request-auth';
import { checkRemoteUri } from './remote-uri';
import { VideoInspector } from './video-inspector';

/** What the routes work with. */
export interface ApiRoutesDeps {
  backend: AnalysisBackend;
  jobs: JobService;
  /** Undefined: no authentication (`--no-auth`). */
  keys: ApiKeyStore | undefined;
  catalog: DetectorInfo[];
  mediaLinks: MediaLinks;
}

/** Limits and rules of the routes. */
export interface ApiRoutesOptions {
  rateLimitPerMinute: number;
  allowPrivateUrls: boolean;
}

/** The API as a fastify plugin, to register under `/api/v1`. */
export function apiRoutes(deps: ApiRoutesDeps, options: ApiRoutesOptions): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await app.register(rateLimit, {
      max: options.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => {
        const keyId = requestKeyId(request, deps.keys);
        return keyId !== undefined ? `key:${keyId}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'RATE_LIMITED', `more than ${context.max} requests in a minute: retry in ${Math.ceil(context.ttl / 1000)} s`),
    });
    const authenticated = requireApiKey(deps.keys);
    const detectorsOf = (raw: string | undefined): string[] => {
      if (raw === undefined) return [...deps.backend.defaultDetectors];
      const names = [...new Set(raw.split(','))];
      const unknown = names.filter((n) => !deps.backend.detectors.includes(n));
      if (unknown.length > 0) throw new ApiError(400, 'UNKNOWN_DETECTOR', `unknown or unavailable detector(s): ${unknown.join(', ')}; available: ${deps.backend.detectors.join(', ')}`);
      return names;
    };

    app.get('/health', {
      schema: {
        summary: 'Whether the server is up, and which back end it runs.',
        tags: ['server'],
        response: { 200: { type: 'object', properties: { status: { type: 'string' }, backend: { type: 'string' } } } },
      },
    }, async () => ({ status: 'ok', backend: deps.backend.kind }));

    app.get('/detectors', {
      schema: {
        summary: 'The deepfake detectors: name, input, licence, training data; which this server runs and which are default.',
        tags: ['detectors'],
        response: { 200: { type: 'array', items: { $ref: 'Detector#' } }, 429: commonErrorResponses[429] },
      },
    }, async () => deps.catalog);

    app.post('/videos', {
      preValidation: authenticated,
      // The body is the multipart stream itself, checked as it streams (size, type), not by a schema.
      validatorCompiler: ({ httpPart }) => (httpPart === 'body' ? () => true : compileQuery),
      schema: {
        summary: 'Upload a video (multipart, field `file`) and start its analysis.',
        description: 'The file is streamed to storage, its type sniffed from its first bytes (415 if not a video container) and its size capped (413). Answers 202 once it is stored and hashed.',
        tags: ['jobs'],
        consumes: ['multipart/form-data'],
        security: [{ bearer: [] }],
        querystring: detectorsQuerySchema,
        body: {
          type: 'object',
          required: ['file'],
          properties: { file: { type: 'string', format: 'binary', description: 'The video.' } },
        },
        response: { 202: { $ref: 'Accepted#' }, ...commonErrorResponses, 413: { $ref: 'ApiError#' }, 415: { $ref: 'ApiError#' } },
      },
    }, async (request, reply) => {
      const detectors = detectorsOf((request.query as { detectors?: string }).detectors);
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > deps.backend.maxUploadBytes + 64 * 1024) {
        throw new ApiError(413, 'UPLOAD_TOO_LARGE', `the upload is larger than the ${deps.backend.maxUploadBytes}-byte limit`);
      }
      if (!request.isMultipart()) throw new ApiError(415, 'NOT_MULTIPART', 'send the video as multipart/form-data in the field "file"');
      const part = await request.file();
      if (!part || part.fieldname !== 'file') throw new ApiError(400, 'INVALID_REQUEST', 'the multipart body has no field "file"');
      const stored = await deps.backend.storeUpload(part.file, new VideoInspector(deps.backend.maxUploadBytes), part.filename || 'upload');
      const job = deps.jobs.submit({ stored }, part.filename || stored.videoId, detectors);
      reply.code(202).header('location', `/api/v1/jobs/${job.id}`);
      return { jobId: job.id, videoId: stored.videoId };
    });

    app.post('/jobs', {
      preValidation: authenticated,
      schema: {
        summary: 'Analyse a video at an s3:// URI (distributed back end) or an http(s) URL.',
        description: 'URLs are fetched with the crawler jobs\' rules: size cap, timeouts, and no loopback, private, link-local or CGNAT addresses.',
        tags: ['jobs'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['uri'],
          additionalProperties: false,
          properties: {
            uri: { type: 'string', minLength: 1, maxLength: 4096, description: 's3://bucket/key or https://…' },
            detectors: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' } },
          },
        },
        response: { 202: { $ref: 'Accepted#' }, ...commonErrorResponses },
      },
    }, async (request, reply) => {
      const body = request.body as { uri: string; detectors?: string[] };
      const detectors = detectorsOf(body.detectors?.join(','));
      const source: RemoteSource = checkRemoteUri(body.uri, { acceptsS3: deps.backend.acceptsS3, allowPrivateUrls: options.allowPrivateUrls });
      const job = deps.jobs.submit(source, body.uri, detectors);
      reply.code(202).header('location', `/api/v1/jobs/${job.id}`);
      return { jobId: job.id, videoId: job.videoId };
    });

    app.get('/jobs', {
      preValidation: authenticated,
      schema: {
        summary: 'Recent jobs, most recent first.',
        tags: ['jobs'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { jobs: { type: 'array', items: { $ref: 'Job#' } }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
          },
          ...commonErrorResponses,
        },
      },
    }, async (request) => {
      const { limit, offset } = request.query as { limit: number; offset: number };
      return { ...deps.jobs.list(offset, limit), limit, offset };
    });

    app.get('/jobs/:id', {
      preValidation: authenticated,
      schema: {
        summary: 'One job: status (queued, processing, done, failed), stage, videoId and error.',
        tags: ['jobs'],
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        response: { 200: { $ref: 'Job#' }, ...commonErrorResponses, 404: { $ref: 'ApiError#' } },
      },
    }, async (request) => {
      const job = deps.jobs.get((request.params as { id: string }).id);
      if (!job) throw new ApiError(404, 'JOB_NOT_FOUND', 'no such job (jobs are kept in memory: the most recent 1000 since the server started)');
      return job;
    });

    app.get('/reports/:videoId', {
      preValidation: authenticated,
      schema: {
        summary: "A video's report (aggregator/report-schema.json).",
        tags: ['reports'],
        security: [{ bearer: [] }],
        params: videoIdParamsSchema,
        response: {
          200: { type: 'object', additionalProperties: true, description: 'The report, as aggregator/report-schema.json describes it.' },
          ...commonErrorResponses,
          404: { $ref: 'ApiError#' },
        },
      },
    }, async (request) => {
      const report = await deps.backend.readReport((request.params as { videoId: string }).videoId);
      if (!report) throw new ApiError(404, 'REPORT_NOT_FOUND', 'no report for this video (yet)');
      return report;
    });

    registerMediaRoutes(app, { backend: deps.backend, keys: deps.keys, mediaLinks: deps.mediaLinks, authenticated, rateLimitPerMinute: options.rateLimitPerMinute });
    registerEventStreamRoute(app, { jobs: deps.jobs, authenticated });
  };
}

const DETECTORS_PATTERN = new RegExp(detectorsQuerySchema.properties.detectors.pattern);

/** Validates `?detectors=` for the upload route, which skips body validation. */
function compileQuery(data: unknown): { value: unknown } | { error: Error } {
  const query = (data ?? {}) as Record<string, unknown>;
  const extra = Object.keys(query).filter((k) => k !== 'detectors');
  if (extra.length > 0) return { error: new Error(`querystring has unknown parameter(s): ${extra.join(', ')}`) };
  const value = query.detectors;
  if (value !== undefined && (typeof value !== 'string' || !DETECTORS_PATTERN.test(value))) {
    return { error: new Error('querystring/detectors must be detector names separated by commas') };
  }
  return { value: query };
}
