import { execFileSync } from 'node:child_process';
import path from 'node:path';

describe('deploy/prometheus', () => {
  it('alerts.yml passes `promtool check rules`', () => {
    const out = execFileSync('promtool', ['check', 'rules', path.join(__dirname, 'alerts.yml')], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: 5 rules found/);
  });

  it('prometheus.yml passes `promtool check config` (with its rule file)', () => {
    const out = execFileSync('promtool', ['check', 'config', path.join(__dirname, 'prometheus.yml')], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: 1 rule files found/);
  });
});
