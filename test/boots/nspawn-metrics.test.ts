// A real boot with `metrics.textfile` set: keepsake.service's apply leaves a textfile that
// parses, says the apply succeeded and every entry is in place; the timer and service units of
// docs/metrics.md, installed as written there, load in systemd, and the service adds the
// walked figures.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseExposition, sampleValue } from '../helpers/exposition.js';
import { skipUnlessCI } from '../helpers/ns-run.js';
import { nspawnProblem } from './nspawn/container.js';
import { bootedAndProbed } from './nspawn/expect.js';
import { CONFIG, KEEPSAKE, serviceMode } from './nspawn/modes.js';
import { TestBed } from './nspawn/testbed.js';
import { REPO } from './stage.js';

const PROM = '/var/lib/node-exporter/keepsake.prom';

/** The ini block that follows the line naming `unit` in docs/metrics.md. */
function documentedUnit(unit: string): string {
  const doc = fs.readFileSync(path.join(REPO, 'docs/metrics.md'), 'utf8');
  const m = new RegExp(`${unit.replace('.', '\\.')}\`:\\n\\n\`\`\`ini\\n([^]*?)\`\`\``).exec(doc);
  assert.ok(m?.[1], `docs/metrics.md shows ${unit}`);
  return m[1];
}

const problem = nspawnProblem();

describe('nspawn boots, service mode, with metrics for node_exporter', {
  skip: skipUnlessCI(problem),
}, () => {
  let bed: TestBed;
  before(() => {
    bed = TestBed.withConfig(
      problem,
      `persistence:
  /persist:
    directories: [/var/log/app, /srv/data]
    files: [/etc/app.conf]
metrics:
  textfile: /var/lib/node-exporter
`,
    );
  });
  after(() => bed?.cleanup());

  test('apply at boot writes the textfile; the documented timer and service refresh it', async () => {
    const service = documentedUnit('keepsake-metrics.service').replace(
      '/usr/bin/keepsake metrics --textfile',
      `${KEEPSAKE} metrics --textfile --config ${CONFIG}`,
    );
    assert.match(service, /--config/, 'the documented ExecStart was found');
    const timer = documentedUnit('keepsake-metrics.timer');
    const b = await bed.boot({
      install: (unitDir) => {
        serviceMode.install(bed, unitDir);
        fs.writeFileSync(path.join(unitDir, 'keepsake-metrics.service'), service);
        fs.writeFileSync(path.join(unitDir, 'keepsake-metrics.timer'), timer);
        const wants = path.join(unitDir, 'timers.target.wants');
        fs.mkdirSync(wants, { recursive: true });
        fs.symlinkSync('../keepsake-metrics.timer', path.join(wants, 'keepsake-metrics.timer'));
      },
      up: {
        write: { '/opt/undeclared.bin': 'x'.repeat(4096) },
        run: {
          atBoot: ['cat', PROM],
          mode: ['stat', '-c', '%a', PROM],
          start: ['systemctl', 'start', 'keepsake-metrics.service'],
          refreshed: ['cat', PROM],
          timer: [
            'systemctl',
            'show',
            '-p',
            'LoadState',
            '-p',
            'WantedBy',
            'keepsake-metrics.timer',
          ],
          journal: ['journalctl', '--no-pager', '-o', 'cat', '-u', 'keepsake-metrics.service'],
        },
      },
    });
    const report = bootedAndProbed(b);
    const runs = report.runs;
    assert.equal(runs.atBoot?.status, 0, `${runs.atBoot?.stderr}\n${b.describe()}`);
    const boot = parseExposition(runs.atBoot?.stdout ?? '');
    assert.equal(sampleValue(boot, 'keepsake_last_apply_success'), 1, b.describe());
    assert.equal(sampleValue(boot, 'keepsake_entries', { state: 'ok' }), 3, b.describe());
    assert.equal(sampleValue(boot, 'keepsake_skipped_entries'), 0);
    assert.equal(boot.get('keepsake_undeclared_bytes'), undefined, 'apply does not walk');
    assert.equal(runs.mode?.stdout.trim(), '644');
    assert.equal(runs.start?.status, 0, `${runs.start?.stderr}\n${runs.journal?.stdout}`);
    const refreshed = parseExposition(runs.refreshed?.stdout ?? '');
    assert.ok(sampleValue(refreshed, 'keepsake_undeclared_bytes') >= 4096, runs.refreshed?.stdout);
    assert.equal(sampleValue(refreshed, 'keepsake_escaped_paths'), 0);
    assert.equal(sampleValue(refreshed, 'keepsake_last_apply_success'), 1);
    assert.match(runs.timer?.stdout ?? '', /LoadState=loaded/);
    assert.match(runs.timer?.stdout ?? '', /^WantedBy=.*timers\.target/m);
  });
});
