/** Video ids and the content types of stored videos. */

/** True for a video id: the lower-case hex SHA-256 of the video's bytes. */
export function isVideoId(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.3gp': 'video/3gpp',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.avi': 'video/x-msvideo',
  '.flv': 'video/x-flv',
  '.ts': 'video/mp2t',
  '.mpg': 'video/mpeg',
  '.wmv': 'video/x-ms-asf',
  '.ogv': 'video/ogg',
};

/** The content type of a stored video's extension (`.mp4` → `video/mp4`). */
export function contentTypeOfExtension(extension: string): string {
  return CONTENT_TYPES[extension.toLowerCase()] ?? 'application/octet-stream';
}
