import { metricNamesIn, resolveVariables } from './dashboard-queries';

describe('dashboard query helpers', () => {
  it('finds the metrics an expression reads, not its functions, labels or keywords', () => {
    expect(metricNamesIn('sum(increase(deepsift_videos_processed_total{status="failed"}[1h])) or vector(0)')).toEqual(['deepsift_videos_processed_total']);
    expect(
      metricNamesIn('histogram_quantile(0.95, sum by (le, stage) (rate(deepsift_stage_duration_seconds_bucket[1m])))'),
    ).toEqual(['deepsift_stage_duration_seconds_bucket']);
    expect(metricNamesIn('sum by (detector) (rate(a_sum[1m])) / on (detector) sum(rate(b_count[5m] offset 1h))')).toEqual(['a_sum', 'b_count']);
    expect(metricNamesIn('max by (queue) (deepsift_queue_messages{queue!~".+\\\\.dead"}) > 100 and up == 0')).toEqual(['deepsift_queue_messages', 'up']);
  });

  it('resolves Grafana variables as Grafana writes them', () => {
    expect(resolveVariables('rate(x{stage=~"$stage"}[$__rate_interval])', { stage: ['a', 'b'] }, '1m')).toBe('rate(x{stage=~"(a|b)"}[1m])');
    expect(() => resolveVariables('x{a="$unknown"}', {}, '1m')).toThrow(/unresolved variable/);
  });
});
