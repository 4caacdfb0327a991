/**
 * The `deepsift serve` HTTP server: the API under `/api/v1`, its OpenAPI 3 document at
 * `/api/openapi.json`, browsable docs at `/api/docs`, and the web app's built files at `/`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from '../common';
import type { AnalysisBackend } from './analysis-backend';
import { ApiError } from './api-error';
import type { ApiKeyStore } from './api-keys';
import { apiRoutes } from './api-routes';
import { acceptedSchema, detectorSchema, errorSchema, jobSchema } from './api-schemas';
import { loadDetectorCatalog } from './detector-catalog';
import type { JobService } from './job-service';
import { MediaLinks } from './media-links';
import { discardBeforeAnswering } from './refused-body';

/** Largest JSON body (POST /api/v1/jobs). */
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;

/** What the server works with. */
export interface ServeAppDeps {
  backend: AnalysisBackend;
  jobs: JobService;
  /** Undefined: no authentication (`--no-auth`, loopback only). */
  keys: ApiKeyStore | undefined;
  logger: Logger;
  mediaLinks?: MediaLinks;
}

/** The server's limits and settings. */
export interface ServeAppOptions {
  rateLimitPerMinute: number;
  /** Origins allowed by CORS; CORS is off when undefined. */
  corsOrigins: string[] | undefined;
  allowPrivateUrls: boolean;
  /** The web app's built files (`dist/web`); not served when absent. */
  webRoot: string | undefined;
  version: string;
}

/** Builds the server (not yet listening). */
export async function buildServeApp(deps: ServeAppDeps, options: ServeAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: JSON_BODY_LIMIT_BYTES, forceCloseConnections: true, ajv: { customOptions: { coerceTypes: true } } });
  app.addHook('onResponse', async (request, reply) => {
    deps.logger.info('Request served.', { method: request.method, url: request.routeOptions.url ?? request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
  });
  app.setErrorHandler(async (error: FastifyError | ApiError, request, reply) => {
    const answer = toApiError(error);
    if (answer.statusCode >= 500) deps.logger.error('Request failed.', { code: answer.code, error: error.message });
    await discardBeforeAnswering(request.raw, reply);
    return reply.code(answer.statusCode).send({ statusCode: answer.statusCode, code: answer.code, error: httpReason(answer.statusCode), message: answer.message });
  });
  app.setNotFoundHandler(async (request, reply) => {
    await discardBeforeAnswering(request.raw, reply);
    return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  for (const schema of [errorSchema, jobSchema, acceptedSchema, detectorSchema]) app.addSchema(schema);
  if (options.corsOrigins) await app.register(cors, { origin: options.corsOrigins, exposedHeaders: ['location', 'content-range', 'retry-after'] });
  // One byte over the cap, so that the upload's own check (VideoInspector) sees it and answers 413.
  await app.register(multipart, { limits: { files: 1, fields: 4, fileSize: deps.backend.maxUploadBytes + 1, parts: 5 } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'deepsift API',
        version: options.version,
        description: 'Upload videos or submit URIs, follow jobs, read deepfake reports. Send an API key as `Authorization: Bearer <key>` unless the server runs with --no-auth.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key from DEEPSIFT_API_KEYS_FILE or DEEPSIFT_API_KEYS.' },
          mediaToken: { type: 'apiKey', in: 'query', name: 'token', description: 'A signed media link token from GET /api/v1/videos/{videoId}.' },
        },
      },
      tags: [{ name: 'jobs' }, { name: 'reports' }, { name: 'videos' }, { name: 'detectors' }, { name: 'server' }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const catalog = await loadDetectorCatalog(deps.backend.detectors, deps.backend.defaultDetectors);
  await app.register(
    apiRoutes({ backend: deps.backend, jobs: deps.jobs, keys: deps.keys, catalog, mediaLinks: deps.mediaLinks ?? new MediaLinks() }, {
      rateLimitPerMinute: options.rateLimitPerMinute,
      allowPrivateUrls: options.allowPrivateUrls,
    }),
    { prefix: '/api/v1' },
  );

  if (options.webRoot && existsSync(path.join(options.webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: options.webRoot, prefix: '/', index: 'index.html', wildcard: true });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/plain').send('The web app is not built (npm run build builds it into dist/web). The API is at /api/v1, its docs at /api/docs.\n'),
    );
  }
  return app;
}

/** Any error as the API's error: a status and a stable code. */
function toApiError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ApiError(413, 'UPLOAD_TOO_LARGE', fastifyError.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', fastifyError.message);
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ApiError(415, 'NOT_MULTIPART', 'send the video as multipart/form-data in the field "file"');
    default:
      break;
  }
  if (fastifyError.validation) return new ApiError(400, 'INVALID_REQUEST', fastifyError.message);
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return new ApiError(status, fastifyError.code ?? 'BAD_REQUEST', fastifyError.message);
  return new ApiError(500, 'INTERNAL', 'internal error');
}

function httpReason(status: number): string {
  const reasons: Record<number, string> = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
    416: 'Range Not Satisfiable', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
  };
  return reasons[status] ?? 'Error';
}
