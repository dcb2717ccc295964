import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parse } from 'yaml';
import { startTestService } from '../helpers/service.js';
import { metricsPageAfterTraffic, PROMETHEUS_DIR, REPO_ROOT } from '../helpers/prometheus.js';

// The Grafana dashboard and its provisioning, checked against the code: every metric a
// panel or an alert queries must be one the service exports, so they cannot drift apart.

const GRAFANA_DIR = join(REPO_ROOT, 'deploy', 'grafana');

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}

const dashboard = JSON.parse(readFileSync(join(GRAFANA_DIR, 'dashboards', 'box-office.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
};
const queryPanels = dashboard.panels.filter((panel) => panel.type !== 'row');
const dashboardExprs = queryPanels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
const alertExprs = (
  parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] }
).groups.flatMap((group) => group.rules.map((rule) => rule.expr));

/** Metric names a PromQL expression reads: ours by prefix, and any other name before a selector. */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  const ours = withoutStrings.match(/\bboxoffice_\w+/g) ?? [];
  const selected = [...withoutStrings.matchAll(/\b([a-zA-Z_:][\w:]*)\s*\{/g)].map((match) => match[1]!);
  return [...new Set([...ours, ...selected])];
}

/** Names Prometheus will store from a /metrics page: sample names and declared families. */
function exportedNames(page: string): Set<string> {
  const names = new Set<string>();
  for (const line of page.split('\n')) {
    const declared = /^# TYPE (\S+) (\S+)/.exec(line);
    if (declared) {
      const [, name, type] = declared;
      names.add(name!);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    } else if (line && !line.startsWith('#')) {
      names.add(/^[^{\s]+/.exec(line)![0]);
    }
  }
  return names;
}

describe('Grafana dashboard', () => {
  const datasource = parse(readFileSync(join(GRAFANA_DIR, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
    datasources: { uid: string; type: string; url: string }[];
  };

  it('is a dashboard with uniquely numbered, placed panels that each query Prometheus', () => {
    expect(dashboard.uid).to.equal('box-office');
    expect(queryPanels.length).to.be.at.least(10);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size, 'panel ids are unique').to.equal(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.title, `panel ${panel.id}`).to.be.a('string').and.not.equal('');
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).to.be.at.most(24);
    }
    for (const panel of queryPanels) {
      expect(panel.targets, panel.title).to.be.an('array').that.is.not.empty;
      const refIds = panel.targets!.map((target) => target.refId);
      expect(new Set(refIds).size, `${panel.title}: refIds unique`).to.equal(refIds.length);
      for (const target of panel.targets!) expect(target.expr, panel.title).to.be.a('string').and.not.equal('');
    }
  });

  it('uses the provisioned Prometheus datasource everywhere', () => {
    const [provisioned] = datasource.datasources;
    expect(datasource.datasources).to.have.length(1);
    expect(provisioned!.type).to.equal('prometheus');
    expect(provisioned!.url).to.equal('http://prometheus:9090');
    for (const panel of queryPanels) {
      expect(panel.datasource, panel.title).to.deep.equal({ type: 'prometheus', uid: provisioned!.uid });
      for (const target of panel.targets!) expect(target.datasource, panel.title).to.deep.equal(panel.datasource);
    }
  });

  it('shows what operators asked for: holds, bookings, expiries, seats, 4xx/5xx, latency percentiles, readiness', () => {
    const all = dashboardExprs.join('\n');
    for (const wanted of [
      'rate(boxoffice_holds_created_total',
      'rate(boxoffice_bookings_total',
      'rate(boxoffice_holds_expired_total',
      'max by (state) (boxoffice_seats)',
      'status=~"4.."',
      'status=~"5.."',
      'histogram_quantile(0.99, sum by (le) (rate(boxoffice_http_request_duration_seconds_bucket',
      'boxoffice_ready',
      'boxoffice_expiry_jobs_overdue',
    ]) {
      expect(all).to.include(wanted);
    }
  });

  it('shows a live sale: blocks and the seats they take out and put back, blocked seats, holds refused by pauses, quotas and blocks', () => {
    const all = dashboardExprs.join('\n');
    for (const wanted of [
      'rate(boxoffice_blocks_created_total',
      'rate(boxoffice_seats_blocked_total',
      'rate(boxoffice_seats_unblocked_total',
      'max(boxoffice_seats{state="blocked"})',
      'rate(boxoffice_holds_rejected_total{reason=~"sales_paused|quota_exceeded|block_not_found"}',
    ]) {
      expect(all).to.include(wanted);
    }
  });

  it('names in its refusal panel only reasons the service counts: a hold of a paused category, one past a quota, one from an unknown block', async () => {
    const named = new Set(
      dashboardExprs.flatMap((expr) => [...expr.matchAll(/reason=~?"([^"]+)"/g)].flatMap((match) => match[1]!.split('|'))),
    );
    expect([...named]).to.include.members(['sales_paused', 'quota_exceeded', 'block_not_found']);
    const app = await startTestService();
    try {
      const bo = app.service;
      const qty = (n: number) => ({ kind: 'qty' as const, qty: n, partial: false, adjacent: true });
      const paused = (await bo.events.create({ name: 'Paused', totalSeats: 5, sales: 'paused' })).event.eventId;
      const capped = (
        await bo.events.create({
          name: 'Capped',
          categories: [{ categoryId: 'floor', capacity: 10 }],
          quotas: [{ quotaId: 'hall', capacity: 2, categories: ['floor'] }],
        })
      ).event.eventId;
      const attempts = [
        bo.holds.create({ eventId: paused, ttlS: 60, request: qty(1) }),
        bo.holds.create({ eventId: capped, ttlS: 60, request: qty(3) }),
        bo.holds.create({ eventId: capped, ttlS: 60, request: qty(1), blockId: `${capped}.${randomUUID()}` }),
      ];
      for (const attempt of attempts) await attempt.then(() => expect.fail('refused'), () => undefined);
      const page: string = (await app.api.get('/metrics')).body;
      for (const reason of named) {
        expect(page, reason).to.match(new RegExp(`^boxoffice_holds_rejected_total\\{reason="${reason}"\\} 1$`, 'm'));
      }
    } finally {
      await app.stop();
    }
  });

  it('queries, like the alert rules, only metrics the service exports', async () => {
    const exported = exportedNames(await metricsPageAfterTraffic());
    exported.add('up'); // Prometheus's own, per target
    const used = new Set([...dashboardExprs, ...alertExprs].flatMap(metricNames));
    expect(used.size).to.be.at.least(10);
    const unknown = [...used].filter((name) => !exported.has(name));
    expect(unknown, 'queried but not exported').to.deep.equal([]);
    // The extraction itself finds names, including a histogram's series.
    expect(metricNames('sum(rate(boxoffice_x_bucket{route!~"/a|b"}[1m])) / up{job="y"}')).to.deep.equal([
      'boxoffice_x_bucket',
      'up',
    ]);
  });

  it('is provisioned by docker-compose.yml: the mounted paths exist and match the provisioning files', () => {
    const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { volumes?: string[] }>;
    };
    const provider = parse(readFileSync(join(GRAFANA_DIR, 'provisioning', 'dashboards', 'box-office.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    const mounts = (service: string) =>
      (compose.services[service]?.volumes ?? []).map((volume) => {
        const [source, target] = volume.split(':');
        return { source: source!, target: target! };
      });
    const grafana = mounts('grafana');
    expect(grafana.map((mount) => mount.target)).to.include.members([
      '/etc/grafana/provisioning',
      provider.providers[0]!.options.path,
    ]);
    const prometheus = mounts('prometheus');
    expect(prometheus.map((mount) => mount.target)).to.include('/etc/prometheus');
    // Every bind mount of every service names a file or directory that is in the repository.
    for (const [name, service] of Object.entries(compose.services)) {
      for (const { source } of mounts(name)) {
        if (source.startsWith('.')) expect(existsSync(resolve(REPO_ROOT, source)), `${name}: ${source}`).to.equal(true);
      }
    }
  });
});
