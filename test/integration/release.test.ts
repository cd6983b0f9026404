// `keepsake release`, the service's ExecStop at shutdown: every bind of the live generation is
// unmounted (children before parents), a busy one is detached instead of failing, nothing of
// the stored data changes, and a second release finds nothing to do.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  requireNamespaces,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const CONFIG = `persistence:
  /persist:
    hideMounts: true
    directories: [/var/lib/app, { directory: /srv/linked, method: symlink }]
    files: [/etc/app.conf]
  /state:
    directories: [/var/lib/app/inner, /var/lib/app/cache]
`;

type Shell = Extract<StepResult, { do: 'sh' | 'apply' }>;
const out = (r: StepResult | undefined): Shell => {
  assert.ok(r && (r.do === 'sh' || r.do === 'apply'));
  return r;
};
const mounts = (r: StepResult | undefined) => {
  assert.ok(r?.do === 'mounts');
  return r;
};

describe('keepsake release', { skip }, () => {
  it('unmounts every bind deepest first, detaches a busy one, keeps the data', () => {
    const s = new TestSystem({ config: CONFIG, stores: ['/persist', '/state'] });
    systems.push(s);
    fs.mkdirSync(s.disk('/persist', '/etc'), { recursive: true });
    fs.writeFileSync(s.disk('/persist', '/etc/app.conf'), 'conf');
    const results = s.boot([
      { do: 'apply' },
      { do: 'write', path: '/var/lib/app/inner/data', content: 'inner data' },
      { do: 'mounts' },
      // A process inside a bind keeps it busy, as a late user session would at shutdown.
      {
        do: 'sh',
        cmd: 'cd "$ROOT/var/lib/app/cache" && (sleep 30.417 </dev/null >/dev/null 2>&1 &) ; sleep 0.2; echo started',
      },
      { do: 'apply', command: 'release', args: ['--json'] },
      { do: 'mounts' },
      { do: 'apply', command: 'release' },
      { do: 'apply', command: 'status' },
      { do: 'sh', cmd: 'pkill -f "sleep 30.417" || true' },
    ]);
    assert.equal(out(results[0]).status, 0, out(results[0]).stderr + out(results[0]).stdout);
    const before = mounts(results[2]);
    for (const p of ['/var/lib/app', '/var/lib/app/cache', '/var/lib/app/inner', '/etc/app.conf'])
      assert.ok(before.points.includes(p), `${p} mounted after apply: ${before.points}`);
    assert.match(before.utab, /TARGET=\S*\/var\/lib\/app /);

    const release = out(results[4]);
    assert.equal(release.status, 0, release.stderr + release.stdout);
    const events = release.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; target?: string; status?: string });
    const order = events.filter((e) => e.event === 'unmount').map((e) => e.target);
    // children before parents, every bind listed once
    assert.ok(order.indexOf('/var/lib/app/inner')! < order.indexOf('/var/lib/app'), String(order));
    assert.ok(order.indexOf('/var/lib/app/cache')! < order.indexOf('/var/lib/app'), String(order));
    assert.equal(new Set(order).size, order.length);
    const busy = events.find((e) => e.target === '/var/lib/app/cache');
    assert.equal(busy?.status, 'detached');
    assert.equal(events.at(-1)?.event, 'result');

    const after = mounts(results[5]);
    assert.deepEqual(
      after.points.filter((p) => !['/persist', '/state'].includes(p)),
      [],
      'no keepsake mount left',
    );
    assert.doesNotMatch(after.utab, /var\/lib\/app/);
    assert.match(out(results[6]).stdout, /nothing to release/);
    assert.equal(out(results[7]).status, 1, 'status reports the entries as not in place');
    // the data stayed in the stores
    assert.equal(
      fs.readFileSync(s.disk('/state', '/var/lib/app/inner/data'), 'utf8'),
      'inner data',
    );
    assert.equal(fs.readFileSync(s.disk('/persist', '/etc/app.conf'), 'utf8'), 'conf');
  });
});
