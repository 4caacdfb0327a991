/**
 * What a Grafana dashboard asks Prometheus: every query of every panel (rows included),
 * with template variables resolved, and the metric names each PromQL expression reads.
 */
import { readFileSync } from 'node:fs';

/** One query of one panel. */
export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

interface GrafanaPanel {
  title?: string;
  panels?: GrafanaPanel[];
  targets?: Array<{ expr?: string; refId?: string }>;
}

interface GrafanaVariable {
  name: string;
  query?: string | { query?: string };
  includeAll?: boolean;
  allValue?: string;
}

/** Every query of the dashboard file, as written (variables unresolved). */
export function dashboardQueries(file: string): { queries: PanelQuery[]; variables: GrafanaVariable[] } {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { title: string; panels: GrafanaPanel[]; templating?: { list: GrafanaVariable[] } };
  const queries: PanelQuery[] = [];
  const walk = (panels: GrafanaPanel[] = []) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr) queries.push({ dashboard: dashboard.title, panel: panel.title ?? '(untitled)', refId: target.refId ?? '?', expr: target.expr });
      }
      walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  return { queries, variables: dashboard.templating?.list ?? [] };
}

/** The `label_values(metric, label)` of a query variable, if it is one. */
export function labelValuesQuery(variable: GrafanaVariable): { metric: string; label: string } | undefined {
  const text = typeof variable.query === 'string' ? variable.query : variable.query?.query ?? '';
  const match = /^label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*(\w+)\s*\)$/.exec(text.trim());
  return match ? { metric: match[1]!, label: match[2]! } : undefined;
}

/**
 * Replaces Grafana's variables: `$__rate_interval` and `$__interval` by `rateInterval`, and
 * each `$name` / `${name}` by its value (a regex alternation for several values, as Grafana
 * writes multi-value variables into `=~` matchers).
 */
export function resolveVariables(expr: string, values: Record<string, string[]>, rateInterval: string): string {
  let out = expr.replace(/\$__rate_interval|\$\{__rate_interval\}|\$__interval|\$\{__interval\}/g, rateInterval);
  for (const [name, value] of Object.entries(values)) {
    const joined = value.length === 1 ? value[0]! : `(${value.join('|')})`;
    out = out.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g'), joined);
  }
  if (/\$\w/.test(out)) throw new Error(`unresolved variable in: ${out}`);
  return out;
}

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions,
 * keywords, label names or label values. (A heuristic tokenizer, enough for dashboards.)
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const token = match[0];
    const after = stripped.slice(match.index! + token.length).trimStart();
    if (after.startsWith('(')) continue; // a function or aggregation
    if (PROMQL_KEYWORDS.has(token.toLowerCase())) continue;
    const before = stripped.slice(0, match.index!);
    if (/\d$/.test(before) && /^[smhdwy]/.test(token)) continue; // a duration such as 5m
    names.add(token);
  }
  return [...names];
}
