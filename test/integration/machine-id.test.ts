// /etc/machine-id over systemd's transient id, as PID 1 leaves it on a volatile root: the id in
// /run/machine-id (a tmpfs), bound over /etc/machine-id, /run sharing its mount events. apply
// replaces that bind with the stored id's instead of stacking on it, and a failure at any step
// puts systemd's bind back.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireNamespaces, type Step, systemsCleanedAfter, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const CONFIG = `persistence:
  /persist:
    files: [/etc/machine-id]
`;
const ID = '0123456789abcdef0123456789abcdef';

/** What PID 1 does on a first boot (mount -n: nothing reaches this machine's utab). */
const transientId: Step = {
  do: 'sh',
  cmd: `mount -n -t tmpfs -o mode=0755 tmpfs "$ROOT/run" && mount -n --make-shared "$ROOT/run" && printf '${ID}\\n' > "$ROOT/run/machine-id" && mkdir -p "$ROOT/etc" && touch "$ROOT/etc/machine-id" && mount -n --bind "$ROOT/run/machine-id" "$ROOT/etc/machine-id"`,
};
/** Each mount at /etc/machine-id or /run/machine-id: `point fstype root`, in mount order. */
const machineIdMounts: Step = {
  do: 'sh',
  cmd: `awk -v r="$ROOT" '$5 == r"/etc/machine-id" || $5 == r"/run/machine-id" { split($0, s, " - "); split(s[2], t, " "); sub(r, "", $5); print $5, t[1], $4 }' /proc/self/mountinfo; cat "$ROOT/etc/machine-id" "$ROOT/run/machine-id"`,
};

function system(): TestSystem {
  const s = new TestSystem({ config: CONFIG, stores: ['/persist'] });
  systems.push(s);
  return s;
}

describe("the stored machine id over systemd's transient one", { skip }, () => {
  it('replaces the transient bind: one mount at /etc/machine-id, none appears at /run/machine-id', () => {
    const s = system();
    const [, applied, seen] = s.boot([transientId, { do: 'apply' }, machineIdMounts]);
    assert.ok(applied?.do === 'apply' && applied.status === 0, JSON.stringify(applied));
    assert.ok(seen?.do === 'sh');
    const lines = seen.stdout.trim().split('\n');
    // Only keepsake's bind (from the store's file system, not the tmpfs); /run/machine-id
    // keeps systemd's file and is no mount point.
    const mounts = lines.filter((l) => l.startsWith('/'));
    assert.equal(mounts.length, 1, seen.stdout);
    assert.match(mounts[0]!, /^\/etc\/machine-id (?!tmpfs)\S+ \S*\/etc\/machine-id$/, seen.stdout);
    assert.deepEqual(lines.slice(-2), [ID, ID], 'the id stays the running one, in both files');
  });

  for (const failAt of [0, 1, 2, 3])
    it(`puts systemd's bind back when action #${failAt} fails`, () => {
      const s = system();
      const [, failed, seen] = s.boot([
        transientId,
        { do: 'apply', args: ['--json'], env: { KEEPSAKE_FAIL_AT_ACTION: String(failAt) } },
        machineIdMounts,
      ]);
      assert.ok(failed?.do === 'apply' && failed.status === 1, JSON.stringify(failed));
      assert.ok(seen?.do === 'sh');
      const lines = seen.stdout.trim().split('\n');
      assert.deepEqual(
        lines.filter((l) => l.startsWith('/')),
        ['/etc/machine-id tmpfs /machine-id'],
        seen.stdout,
      );
      assert.deepEqual(lines.slice(-2), [ID, ID]);
    });
});
