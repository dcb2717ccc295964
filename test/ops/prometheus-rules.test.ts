import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findExecutable, metricsPageAfterTraffic, missingToolReason, PROMETHEUS_DIR, runTool } from '../helpers/prometheus.js';

// The Prometheus config and alert rules in deploy/prometheus, checked by promtool, with the
// rules' unit tests (alerts.test.yml) run by promtool too.

interface RulesFile {
  groups: { name: string; rules: { alert?: string; expr: string }[] }[];
}
interface RulesTestFile {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const readYaml = <T>(file: string) => parse(readFileSync(join(PROMETHEUS_DIR, file), 'utf8')) as T;

describe('alert rules: test coverage', () => {
  it('every alert in alerts.yml has a case that fires and a case that stays quiet in alerts.test.yml', () => {
    const alerts = readYaml<RulesFile>('alerts.yml').groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    expect(alerts.length).to.be.at.least(5);
    const cases = readYaml<RulesTestFile>('alerts.test.yml').tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = cases.filter((testCase) => testCase.alertname === alert);
      expect(mine.some((testCase) => (testCase.exp_alerts ?? []).length > 0), `${alert} fires somewhere`).to.equal(true);
      expect(mine.some((testCase) => (testCase.exp_alerts ?? []).length === 0), `${alert} stays quiet somewhere`).to.equal(true);
    }
    // And no test names an alert that does not exist.
    for (const testCase of cases) expect(alerts, testCase.alertname).to.include(testCase.alertname);
  });
});

describe('promtool', function () {
  let promtool: string;
  before(function () {
    const found = findExecutable('promtool');
    if (!found) {
      console.log(`      skipped: ${missingToolReason('promtool')}`);
      return this.skip();
    }
    promtool = found;
  });

  const expectSuccess = (args: string[], input?: string) => {
    const result = runTool(promtool, args, { cwd: PROMETHEUS_DIR, input });
    expect(result.status, result.output).to.equal(0);
    return result.output;
  };

  it('accepts deploy/prometheus/prometheus.yml, with the rule file it loads', () => {
    expect(expectSuccess(['check', 'config', 'prometheus.yml'])).to.match(/SUCCESS: 1 rule files found/);
  });

  it('accepts alerts.yml', () => {
    expect(expectSuccess(['check', 'rules', 'alerts.yml'])).to.match(/SUCCESS: \d+ rules found/);
  });

  it('passes the rules unit tests in alerts.test.yml', () => {
    expect(expectSuccess(['test', 'rules', 'alerts.test.yml'])).to.include('SUCCESS');
  });

  it('finds no problem at all in /metrics (the contract: valid for promtool check metrics)', async () => {
    const page = await metricsPageAfterTraffic();
    // Exit 0: clean; 3: lint problems (listed); anything else: the page did not parse.
    const result = runTool(promtool, ['check', 'metrics'], { input: page });
    expect(result.output.split('\n').filter(Boolean), 'lint problems').to.deep.equal([]);
    expect(result.status, result.output).to.equal(0);
  });
});
