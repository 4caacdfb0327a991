/**
 * The local files of the videos a stage group is working on: the frame extractor's copy of a
 * video, held while the face cropper in the same process takes its frames by hand-off, so
 * that the face cropper can decode the video's dense clips without downloading it again.
 * In-process only: a path of this machine never goes into a message.
 */

/** Video files by analysis (videoId and correlation id), while their holder keeps them. */
export class LocalVideoFiles {
  private readonly paths = new Map<string, Set<string>>();

  /**
   * Makes `path` a file of this analysis until the returned release is called (before the
   * file is removed). Two deliveries of the same job may hold a file each.
   */
  hold(videoId: string, correlationId: string, path: string): () => void {
    const key = analysisKey(videoId, correlationId);
    const held = this.paths.get(key) ?? new Set<string>();
    held.add(path);
    this.paths.set(key, held);
    return () => {
      held.delete(path);
      if (held.size === 0 && this.paths.get(key) === held) this.paths.delete(key);
    };
  }

  /** A file of the analysis held now, or undefined when this process holds none. */
  pathOf(videoId: string, correlationId: string): string | undefined {
    const held = this.paths.get(analysisKey(videoId, correlationId));
    return held === undefined ? undefined : [...held][0];
  }

  /** Analyses with a file held (0 once every video is done). */
  get size(): number {
    return this.paths.size;
  }
}

function analysisKey(videoId: string, correlationId: string): string {
  return `${videoId}/${correlationId}`;
}
