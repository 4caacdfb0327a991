/**
 * Which path each model and the decoding ran on in a benched scan, read from its info log:
 * on a GPU machine the figures mean little unless the reader sees that CUDA ran.
 */

interface LogLine {
  message?: string;
  model?: string;
  executionProvider?: string;
  path?: string;
  reason?: string;
}

/** One entry per model loaded and one for the decoding, e.g. `meso4-df: cpu`, `decoding: cpu (CPU: no NVIDIA device)`. */
export function executionPaths(infoLog: string): string[] {
  const paths: string[] = [];
  for (const line of infoLog.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: LogLine;
    try {
      entry = JSON.parse(line) as LogLine;
    } catch {
      continue;
    }
    if (/^(Face d|Temporal d|D)etector loaded\.$/.test(entry.message ?? '')) {
      paths.push(`${entry.model}: ${entry.executionProvider}`);
    } else if (entry.message === 'Decoding path chosen.' && !paths.some((p) => p.startsWith('decoding:'))) {
      paths.push(`decoding: ${entry.path} (${entry.reason})`);
    }
  }
  return paths;
}
