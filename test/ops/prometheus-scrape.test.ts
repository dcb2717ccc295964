import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { findExecutable, missingToolReason, PROMETHEUS_DIR, REPO_ROOT, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { startTestService, type TestService } from '../helpers/service.js';

// A real Prometheus scraping two instances that share one Redis prefix (as replicas behind
// a load balancer do), with the alert rules of deploy/prometheus loaded: the series the
// dashboard and alerts rely on arrive for both instances, and every query they make runs.

const SCRAPE_DEADLINE = { timeoutMs: 30_000, intervalMs: 250 };

describe('Prometheus scraping two instances', function () {
  let prometheus: RunningPrometheus | undefined;
  let first: TestService | undefined;
  let second: TestService | undefined;
  let targets: string[];

  before(async function () {
    const executable = findExecutable('prometheus');
    if (!executable) {
      console.log(`      skipped: ${missingToolReason('prometheus')}`);
      return this.skip();
    }
    first = await startTestService();
    second = await startTestService({ KEY_PREFIX: first.prefix });
    targets = [first, second].map((app) => new URL(app.service.url).host);
    prometheus = await startPrometheus(
      executable,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(join(PROMETHEUS_DIR, 'alerts.yml'))}`,
        'scrape_configs:',
        '  - job_name: box-office',
        '    static_configs:',
        `      - targets: ${JSON.stringify(targets)}`,
      ].join('\n'),
    );
  });
  after(async () => {
    await prometheus?.stop();
    await second?.stop();
    await first?.stop();
  });

  const instancesOf = (result: { metric: Record<string, string> }[]) => result.map((row) => row.metric.instance).sort();
  /** Polls one query until it answers one series per instance, then returns them. */
  const untilBothInstances = (promql: string) =>
    eventually(async () => {
      const result = await prometheus!.query(promql);
      expect(instancesOf(result), promql).to.deep.equal([...targets].sort());
      return result;
    }, SCRAPE_DEADLINE);

  it('stores the counters, seat gauges, readiness and request histogram of both instances', async () => {
    const eventId = await first!.api.createEvent(10);
    const held = await first!.api.hold(eventId, 3);
    const other = await second!.api.hold(eventId, 2);
    expect([held.status, other.status]).to.deep.equal([201, 201]);
    const booked = await second!.api.post('/book', { hold_id: held.body.hold_id, payment_token: held.body.payment_token });
    expect(booked.status).to.equal(201);
    await first!.service.blocks.create({ eventId, request: { kind: 'items', items: [{ categoryId: 'general', qty: 1 }] } });

    const up = await untilBothInstances('up{job="box-office"} == 1');
    expect(up).to.have.length(2);
    await untilBothInstances('boxoffice_ready == 1');

    // One hold through each instance: each counts its own, and Prometheus has both.
    const created = await untilBothInstances('boxoffice_holds_created_total == 1');
    expect(created.map((row) => row.value[1])).to.deep.equal(['1', '1']);
    await untilBothInstances('boxoffice_bookings_total');

    // Seat gauges describe the shared Redis: both instances report the same counts.
    await eventually(async () => {
      const seats = await prometheus!.query('boxoffice_seats');
      const byInstanceAndState = seats.map((row) => `${row.metric.instance} ${row.metric.state}=${row.value[1]}`).sort();
      const expected = targets.flatMap((target) => [`${target} available=4`, `${target} blocked=1`, `${target} booked=3`, `${target} held=2`]).sort();
      expect(byInstanceAndState).to.deep.equal(expected);
    }, SCRAPE_DEADLINE);

    await untilBothInstances('sum by (instance) (boxoffice_http_request_duration_seconds_bucket{route="/holds", le="+Inf"})');
  });

  it('loads the alert rules, evaluates them without error, and fires none on a healthy pair', async () => {
    const alertNames = (
      readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8').match(/^\s+- alert: (\w+)/gm) ?? []
    ).map((line) => line.split(':')[1]!.trim());
    expect(alertNames.length).to.be.at.least(5);
    const rules = await eventually(async () => {
      const response = await fetch(`${prometheus!.url}/api/v1/rules`);
      const body = (await response.json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string; state: string }[] }[] };
      };
      const loaded = body.data.groups.flatMap((group) => group.rules);
      // "unknown" until the first evaluation; "ok" after one that did not fail.
      for (const rule of loaded) expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).to.equal('ok');
      // BoxOfficeNoInstanceUp is pending until the first scrapes land; then all settle.
      const active = loaded.filter((rule) => rule.state !== 'inactive').map((rule) => rule.name);
      expect(active, 'alerts pending or firing on a healthy pair').to.deep.equal([]);
      return loaded;
    }, SCRAPE_DEADLINE);
    expect(rules.map((rule) => rule.name).sort()).to.deep.equal([...alertNames].sort());
  });

  it('runs every query of the Grafana dashboard', async () => {
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'dashboards', 'box-office.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
    expect(queries.length).to.be.at.least(10);
    // Grafana fills in $__rate_interval; give rate() a window that holds several 1 s scrapes.
    for (const { panel, expr } of queries) {
      const result = await prometheus!.query(expr.replaceAll('$__rate_interval', '30s'));
      expect(result, panel).to.be.an('array');
    }
    // And the panels that need no rate window have data already.
    const seats = await prometheus!.query('max by (state) (boxoffice_seats)');
    expect(seats.map((row) => row.metric.state).sort()).to.deep.equal(['available', 'blocked', 'booked', 'held']);
  });
});
