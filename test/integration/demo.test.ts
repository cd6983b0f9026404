import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { CLI, requireNamespaces } from '../helpers/boot.js';

const skip = requireNamespaces();

describe('keepsake demo', { skip }, () => {
  it('boots twice, keeps what is declared, wipes the rest and cleans up after itself', () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('keepsake-demo-'));
    const r = spawnSync(process.execPath, [CLI, 'demo'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /survived {2}\/var\/lib\/postgresql\/base\.dat/);
    assert.match(r.stdout, /wiped {5}\/home\/jane\/Downloads\/cat\.gif/);
    assert.match(r.stdout, /a second apply now plans 0 actions/);
    // Before the reboot, keepsake diff names what it will wipe, and not what persists.
    const diff = r.stdout.slice(r.stdout.indexOf('keepsake diff:'), r.stdout.indexOf('power off'));
    assert.match(
      diff,
      /7 B {2}\/home\/jane\/Downloads .*keepsake add \/home\/jane\/Downloads --user jane/,
    );
    assert.match(diff, /16 B {2}\/etc\/motd .*keepsake add \/etc\/motd/);
    assert.doesNotMatch(diff, /thesis|postgresql|\/var\/log|\/tmp/);
    // The accounts the demo's image writes at boot are not the user's to persist.
    assert.doesNotMatch(diff, /\/etc\/passwd|\/etc\/group/);
    assert.match(r.stdout, /declared files survived, everything else was wiped/);
    assert.ok(!r.stdout.includes('\u001b['), 'no colour with NO_COLOR');
    const after = readdirSync(tmpdir()).filter((n) => n.startsWith('keepsake-demo-'));
    assert.deepEqual(after, before);
  });
});
