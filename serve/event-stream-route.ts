/**
 * `GET /api/v1/events`: server-sent events (text/event-stream) — `job` with every job
 * update and `report` with every finished report — and a comment every 15 s that keeps
 * proxies from closing an idle stream.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { commonErrorResponses } from './api-schemas';
import type { JobService } from './job-service';

/** Seconds between keep-alive comments. */
export const EVENT_STREAM_KEEPALIVE_MS = 15_000;

/** Adds `GET /events` to the API scope. */
export function registerEventStreamRoute(
  app: FastifyInstance,
  deps: { jobs: JobService; authenticated: (request: FastifyRequest, reply: FastifyReply) => Promise<void> },
): void {
  app.get('/events', {
    preValidation: deps.authenticated,
    schema: {
      summary: 'Server-sent events: `job` (a job changed: the Job object) and `report` (a report is ready: jobId, videoId, status, label, score, error).',
      tags: ['jobs'],
      security: [{ bearer: [] }],
      response: { 200: { description: 'text/event-stream', type: 'string' }, ...commonErrorResponses },
    },
  }, async (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 2000\n\n');
    let sequence = 0;
    const unsubscribe = deps.jobs.subscribe((event) => {
      sequence += 1;
      raw.write(`id: ${sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
    });
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), EVENT_STREAM_KEEPALIVE_MS);
    const stop = () => {
      clearInterval(keepAlive);
      unsubscribe();
    };
    request.raw.once('close', stop);
    raw.once('close', stop);
  });
}
