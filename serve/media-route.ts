/**
 * A video's bytes, with HTTP range requests so that a player can seek, and a signed link
 * to them for players that cannot send an API key.
 */
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AnalysisBackend } from './analysis-backend';
import { ApiError } from './api-error';
import type { ApiKeyStore } from './api-keys';
import { commonErrorResponses, videoIdParamsSchema } from './api-schemas';
import { parseByteRange } from './byte-range';
import type { MediaLinks } from './media-links';

/** What the media routes work with. */
export interface MediaRouteDeps {
  backend: AnalysisBackend;
  keys: ApiKeyStore | undefined;
  mediaLinks: MediaLinks;
  authenticated: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** The API's rate limit; the media route allows ten times as many (a player seeks with range requests). */
  rateLimitPerMinute: number;
}

/** Adds `GET /videos/:videoId` and `GET /videos/:videoId/media` to the API scope. */
export function registerMediaRoutes(app: FastifyInstance, deps: MediaRouteDeps): void {
  app.get('/videos/:videoId', {
    preValidation: deps.authenticated,
    schema: {
      summary: "A stored video: its size and type, and a signed link to its media (valid one hour) for a player.",
      tags: ['videos'],
      security: [{ bearer: [] }],
      params: videoIdParamsSchema,
      response: {
        200: {
          type: 'object',
          properties: {
            videoId: { type: 'string' },
            sizeBytes: { type: 'integer' },
            contentType: { type: 'string' },
            mediaUrl: { type: 'string' },
            expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        ...commonErrorResponses,
        404: { $ref: 'ApiError#' },
      },
    },
  }, async (request) => {
    const { videoId } = request.params as { videoId: string };
    const media = await deps.backend.openMedia(videoId);
    if (!media) throw new ApiError(404, 'MEDIA_NOT_FOUND', 'this server does not hold the bytes of this video');
    const { token, expiresAt } = deps.mediaLinks.sign(videoId);
    return { videoId, sizeBytes: media.sizeBytes, contentType: media.contentType, mediaUrl: `/api/v1/videos/${videoId}/media?token=${token}`, expiresAt };
  });

  app.get('/videos/:videoId/media', {
    config: { rateLimit: { max: 10 * deps.rateLimitPerMinute, timeWindow: 60_000 } },
    preValidation: async (request, reply) => {
      const { videoId } = request.params as { videoId: string };
      const token = (request.query as { token?: string }).token;
      if (token !== undefined && deps.mediaLinks.verify(videoId, token)) return;
      await deps.authenticated(request, reply);
    },
    schema: {
      summary: "The video's bytes; honours Range (206 Partial Content) for seeking.",
      tags: ['videos'],
      security: [{ bearer: [] }, { mediaToken: [] }],
      params: videoIdParamsSchema,
      querystring: { type: 'object', properties: { token: { type: 'string', description: 'A signed link token from GET /api/v1/videos/{videoId}.' } } },
      response: {
        200: { description: 'The whole video.', type: 'string', format: 'binary' },
        206: { description: 'The requested range.', type: 'string', format: 'binary' },
        ...commonErrorResponses,
        404: { $ref: 'ApiError#' },
        416: { $ref: 'ApiError#' },
      },
    },
  }, async (request, reply) => {
    const { videoId } = request.params as { videoId: string };
    const media = await deps.backend.openMedia(videoId);
    if (!media) throw new ApiError(404, 'MEDIA_NOT_FOUND', 'this server does not hold the bytes of this video');
    const range = parseByteRange(request.headers.range, media.sizeBytes);
    reply.header('accept-ranges', 'bytes').header('content-type', media.contentType).header('cache-control', 'private, max-age=3600');
    if (range.kind === 'unsatisfiable') {
      reply.header('content-range', `bytes */${media.sizeBytes}`);
      throw new ApiError(416, 'RANGE_NOT_SATISFIABLE', `the video has ${media.sizeBytes} bytes`);
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, media.sizeBytes - 1];
    if (range.kind === 'partial') reply.code(206).header('content-range', `bytes ${start}-${end}/${media.sizeBytes}`);
    reply.header('content-length', end - start + 1);
    if (request.method === 'HEAD' || media.sizeBytes === 0) return reply.send();
    const body = await media.open(start, end);
    reply.hijack();
    reply.raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string>);
    await pipeline(body, reply.raw).catch(() => undefined);
  });
}
