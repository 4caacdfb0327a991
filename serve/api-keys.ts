/**
 * API keys: bearer tokens read from a file (one per line, `#` comments) or the environment,
 * kept only as SHA-256 digests and compared in constant time, so neither memory dumps nor
 * response timings give a key away.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** Shortest key accepted: 16 characters (≥ 96 bits when random base64). */
export const MIN_API_KEY_LENGTH = 16;

/** An invalid key source (a short key, an unreadable file): a usage error at start-up. */
export class ApiKeyConfigError extends Error {
  override readonly name = 'ApiKeyConfigError';
  readonly code = 'API_KEY_CONFIG';
}

/** Who a valid key belongs to, without the key: the first 12 hex digits of its digest. */
export interface ApiKeyIdentity {
  keyId: string;
}

/** The server's API keys, as digests. */
export class ApiKeyStore {
  private constructor(private readonly digests: Buffer[]) {}

  /** Builds the store from keys given as text; throws `ApiKeyConfigError` for a short key. */
  static fromKeys(keys: Iterable<string>): ApiKeyStore {
    const digests: Buffer[] = [];
    for (const raw of keys) {
      const key = raw.trim();
      if (key.length < MIN_API_KEY_LENGTH) throw new ApiKeyConfigError(`an API key is shorter than ${MIN_API_KEY_LENGTH} characters`);
      digests.push(digest(key));
    }
    return new ApiKeyStore(digests);
  }

  /** Reads keys from a file (one per line; blank lines and `#` comments skipped) and from a list. */
  static async load(sources: { file?: string; keys?: string[] }): Promise<ApiKeyStore> {
    const keys = [...(sources.keys ?? [])];
    if (sources.file !== undefined) {
      let text: string;
      try {
        text = await readFile(sources.file, 'utf8');
      } catch (error) {
        throw new ApiKeyConfigError(`cannot read the API keys file ${sources.file}: ${(error as Error).message}`, { cause: error });
      }
      keys.push(...text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#')));
    }
    return ApiKeyStore.fromKeys(keys);
  }

  /** Number of keys. */
  get size(): number {
    return this.digests.length;
  }

  /** The identity of `token` when it is one of the keys. Every key is compared, match or not. */
  verify(token: string): ApiKeyIdentity | undefined {
    const candidate = digest(token);
    let match: Buffer | undefined;
    for (const known of this.digests) {
      if (timingSafeEqual(known, candidate)) match = known;
    }
    return match ? { keyId: match.toString('hex').slice(0, 12) } : undefined;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
