import { describeGpuUsage, startGpuMonitor, summariseNvidiaSmiCsv } from './gpu-monitor';

describe('the bench\'s GPU figures', () => {
  it('summarises nvidia-smi samples per GPU, leaving out values it could not read', () => {
    const csv = [
      'index, name, utilization.gpu [%], utilization.decoder [%], memory.used [MiB], memory.total [MiB]',
      '0, NVIDIA H100 80GB HBM3, 40, 10, 2000, 81559',
      '1, NVIDIA H100 80GB HBM3, 0, [N/A], 5, 81559',
      '0, NVIDIA H100 80GB HBM3, 80, 30, 3000, 81559',
      '1, NVIDIA H100 80GB HBM3, 0, [N/A], 5, 81559',
    ].join('\n');
    const [first, second] = summariseNvidiaSmiCsv(csv);
    expect(first).toMatchObject({ index: 0, samples: 2, meanUtilisation: 60, peakUtilisation: 80, meanDecoder: 20, peakDecoder: 30, peakMemoryMiB: 3000, totalMemoryMiB: 81559 });
    expect(second).toMatchObject({ index: 1, meanUtilisation: 0, meanDecoder: undefined });
    expect(describeGpuUsage([first!])[0]).toContain('utilisation mean 60 %, peak 80 %; decoder (NVDEC) mean 20 %');
  });

  it('says why nothing was sampled where there is no nvidia-smi', async () => {
    const monitor = await startGpuMonitor('/nonexistent/nvidia-smi');
    expect(monitor).toEqual({ unavailable: '/nonexistent/nvidia-smi not found (no NVIDIA driver)' });
  });
});
