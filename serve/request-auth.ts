/**
 * Who a request comes from: the API key in `Authorization: Bearer <key>` (or, for media
 * only, a signed link). With no key store (`--no-auth`, loopback only) everyone may do all.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import type { ApiKeyStore } from './api-keys';

/** The key id of the request's valid key, or undefined (no key, a wrong key, or no auth). */
export function requestKeyId(request: FastifyRequest, keys: ApiKeyStore | undefined): string | undefined {
  const cached = (request as { deepsiftKeyId?: string | null }).deepsiftKeyId;
  if (cached !== undefined) return cached ?? undefined;
  const token = bearerToken(request);
  const keyId = keys && token !== undefined ? keys.verify(token)?.keyId : undefined;
  (request as { deepsiftKeyId?: string | null }).deepsiftKeyId = keyId ?? null;
  return keyId;
}

/** A hook that answers 401 unless the request carries a valid key. */
export function requireApiKey(keys: ApiKeyStore | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!keys) return;
    if (bearerToken(request) === undefined) {
      reply.header('www-authenticate', 'Bearer realm="deepsift"');
      throw new ApiError(401, 'API_KEY_MISSING', 'an API key is required: send it as "Authorization: Bearer <key>"');
    }
    if (requestKeyId(request, keys) === undefined) {
      reply.header('www-authenticate', 'Bearer realm="deepsift", error="invalid_token"');
      throw new ApiError(401, 'API_KEY_INVALID', 'the API key is not valid');
    }
  };
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
