/**
 * What happens to the body of a request the server refuses before reading it (a missing key,
 * an unknown detector, an upload over the cap).
 *
 * Answering while the client is still sending makes the connection unusable either way: kept
 * open, the unread rest of the body is in the way of the next request; closed, the client's
 * pending writes meet a reset (EPIPE or ECONNRESET) and it may never see the answer. So the rest
 * of a body of reasonable size is read and thrown away first, and the answer comes after it on a
 * connection that stays reusable. A body beyond that (announced or found while reading) is not
 * worth reading: its answer closes the connection.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';

/** The most a refused request's body may still send for the server to read and discard it. */
export const DISCARD_LIMIT_BYTES = 32 * 1024 * 1024;
/** How long the rest of a refused body may take to arrive. */
export const DISCARD_TIMEOUT_MS = 10_000;

/**
 * Reads and discards the rest of `request`'s body. Resolves true when the body ended within
 * `limitBytes` and `timeoutMs` (the connection can be reused), false when it did not (the
 * answer should close it). Never rejects.
 */
export function discardRestOfBody(request: IncomingMessage, limitBytes = DISCARD_LIMIT_BYTES, timeoutMs = DISCARD_TIMEOUT_MS): Promise<boolean> {
  if (request.complete) return Promise.resolve(true);
  const declared = Number(request.headers['content-length']);
  if (request.destroyed || (Number.isFinite(declared) && declared > limitBytes)) return Promise.resolve(false);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      request.off('data', onData).off('end', onEnd).off('error', onFail).off('close', onClose);
      if (!ended) request.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > limitBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onFail = () => finish(false);
    const onClose = () => finish(request.complete);
    const timer = setTimeout(() => finish(false), timeoutMs);
    request.on('data', onData).once('end', onEnd).once('error', onFail).once('close', onClose);
    request.resume();
  });
}

/** For a refusal: the rest of the body is discarded first, or the answer closes the connection. */
export async function discardBeforeAnswering(request: IncomingMessage, reply: FastifyReply): Promise<void> {
  if (!(await discardRestOfBody(request))) void reply.header('connection', 'close');
}
