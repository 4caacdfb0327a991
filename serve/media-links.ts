/**
 * Signed, expiring links to a video's media, for the `<video>` element of the web app,
 * which cannot send an Authorization header. A link carries `token=<expiry>.<HMAC-SHA256>`
 * over the video id and expiry, with a secret that lives only in this process.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a media link works. */
export const DEFAULT_MEDIA_LINK_TTL_MS = 60 * 60_000;

/** Signs and checks media link tokens. */
export class MediaLinks {
  constructor(
    private readonly secret: Buffer = randomBytes(32),
    private readonly ttlMs = DEFAULT_MEDIA_LINK_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token for `videoId` and when it expires. */
  sign(videoId: string): { token: string; expiresAt: string } {
    const expiry = this.now() + this.ttlMs;
    return { token: `${expiry}.${this.mac(videoId, expiry)}`, expiresAt: new Date(expiry).toISOString() };
  }

  /** True when `token` was signed here for `videoId` and has not expired. */
  verify(videoId: string, token: string): boolean {
    const match = /^(\d{13,})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return false;
    const expiry = Number(match[1]);
    if (expiry < this.now()) return false;
    const expected = Buffer.from(this.mac(videoId, expiry));
    const given = Buffer.from(match[2]!);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private mac(videoId: string, expiry: number): string {
    return createHmac('sha256', this.secret).update(`${videoId}.${expiry}`).digest('base64url');
  }
}
