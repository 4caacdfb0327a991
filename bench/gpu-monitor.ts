/**
 * GPU utilisation while the bench's scan runs, sampled with `nvidia-smi`: the figures issue 11
 * asks of a GPU run (how busy the GPU and its video decoder were, how much memory the scan
 * took). On a machine without an NVIDIA driver the bench says so and goes on.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Fields sampled, by nvidia-smi's names; `utilization.decoder` (NVDEC) only where the driver knows it. */
const FIELDS = ['index', 'name', 'utilization.gpu', 'utilization.decoder', 'memory.used', 'memory.total'];
const FIELDS_WITHOUT_DECODER = FIELDS.filter((f) => f !== 'utilization.decoder');
/** NVML's own sampling period is 1/6 s to 1 s depending on the GPU; sampling faster only repeats values. */
const SAMPLE_MS = 200;

/** One GPU over the sampled span. Percentages are means and peaks of nvidia-smi's samples. */
export interface GpuUsage {
  index: number;
  name: string;
  samples: number;
  meanUtilisation: number;
  peakUtilisation: number;
  /** NVDEC's utilisation; undefined where the driver does not report it. */
  meanDecoder: number | undefined;
  peakDecoder: number | undefined;
  peakMemoryMiB: number;
  totalMemoryMiB: number;
}

/** A running sampler; `stop` ends it and summarises what it saw. */
export interface GpuMonitor {
  stop(): Promise<GpuUsage[]>;
}

/** Starts sampling every GPU, or says why there is nothing to sample. */
export async function startGpuMonitor(nvidiaSmi = 'nvidia-smi'): Promise<GpuMonitor | { unavailable: string }> {
  const fields = await supportedFields(nvidiaSmi);
  if (typeof fields === 'string') return { unavailable: fields };
  const child = spawn(nvidiaSmi, [`--query-gpu=${fields.join(',')}`, '--format=csv,nounits', `--loop-ms=${SAMPLE_MS}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const output: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk));
  // It answered a moment ago; should it fail to start now, the summary says it gave no samples.
  child.once('error', () => undefined);
  return {
    async stop() {
      await stopChild(child);
      return summariseNvidiaSmiCsv(Buffer.concat(output).toString());
    },
  };
}

/** The fields this driver answers, or why nvidia-smi cannot be used. */
async function supportedFields(nvidiaSmi: string): Promise<string[] | string> {
  let lastError = '';
  for (const fields of [FIELDS, FIELDS_WITHOUT_DECODER]) {
    try {
      await execFileAsync(nvidiaSmi, [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader'], { timeout: 10_000 });
      return fields;
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stdout?: string };
      if (e.code === 'ENOENT') return `${nvidiaSmi} not found (no NVIDIA driver)`;
      lastError = (e.stdout?.trim() || e.message).split('\n')[0]!;
    }
  }
  return `${nvidiaSmi} failed: ${lastError}`;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Summarises `nvidia-smi --query-gpu=... --format=csv,nounits` output: a header line naming
 * the fields (`utilization.gpu [%]` and the like), then one line per GPU per sample. Values
 * nvidia-smi cannot read (`[N/A]`, `[Not Supported]`) are left out of the means.
 */
export function summariseNvidiaSmiCsv(text: string): GpuUsage[] {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const header = lines.find((l) => l.startsWith('index'));
  if (header === undefined) return [];
  const names = header.split(',').map((h) => h.trim().split(' ')[0]!);
  const column = (row: string[], field: string): string | undefined => {
    const at = names.indexOf(field);
    return at < 0 ? undefined : row[at];
  };
  const byGpu = new Map<number, { name: string; util: number[]; decoder: number[]; memory: number[]; total: number }>();
  for (const line of lines) {
    if (line === header) continue;
    // The name is the only field that could hold a comma; nvidia-smi does not quote it.
    const row = line.split(', ');
    if (row.length !== names.length) continue;
    const index = Number(column(row, 'index'));
    if (!Number.isInteger(index)) continue;
    const gpu = byGpu.get(index) ?? { name: column(row, 'name') ?? '', util: [], decoder: [], memory: [], total: 0 };
    pushNumber(gpu.util, column(row, 'utilization.gpu'));
    pushNumber(gpu.decoder, column(row, 'utilization.decoder'));
    pushNumber(gpu.memory, column(row, 'memory.used'));
    gpu.total = Math.max(gpu.total, Number(column(row, 'memory.total')) || 0);
    byGpu.set(index, gpu);
  }
  return [...byGpu].map(([index, gpu]) => ({
    index,
    name: gpu.name,
    samples: gpu.util.length,
    meanUtilisation: mean(gpu.util),
    peakUtilisation: Math.max(0, ...gpu.util),
    meanDecoder: gpu.decoder.length > 0 ? mean(gpu.decoder) : undefined,
    peakDecoder: gpu.decoder.length > 0 ? Math.max(...gpu.decoder) : undefined,
    peakMemoryMiB: Math.max(0, ...gpu.memory),
    totalMemoryMiB: gpu.total,
  }));
}

/** One line per GPU for the bench's output. */
export function describeGpuUsage(usage: GpuUsage[]): string[] {
  if (usage.length === 0) return ['GPU: nvidia-smi gave no samples'];
  return usage.map((g) => {
    const decoder = g.meanDecoder === undefined ? 'decoder: not reported' : `decoder (NVDEC) mean ${g.meanDecoder.toFixed(0)} %, peak ${g.peakDecoder} %`;
    return `GPU ${g.index} (${g.name}): utilisation mean ${g.meanUtilisation.toFixed(0)} %, peak ${g.peakUtilisation} %; ${decoder}; memory peak ${g.peakMemoryMiB} of ${g.totalMemoryMiB} MiB; ${g.samples} samples, ${SAMPLE_MS} ms apart`;
  });
}

function pushNumber(values: number[], raw: string | undefined): void {
  const value = Number(raw);
  if (raw !== undefined && raw.trim() !== '' && Number.isFinite(value)) values.push(value);
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
