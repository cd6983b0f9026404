// An apply in a user namespace (unshare --map-root-user, which keepsake's own hint suggests to
// a user who is not root), on a machine where root's /run/keepsake exists: the namespace's
// root may not look into it, and could never have put a lock there, so that is no reason to
// refuse. The running system's /run is a private tmpfs in a namespace of the test's own.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLI, requireNamespaces, systemsCleanedAfter, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

describe('apply in a user namespace', { skip }, () => {
  it('is not refused for the running system’s /run/keepsake it may not read', () => {
    const system = new TestSystem({ config: 'persistence: {}\n', stores: [] });
    systems.push(system);
    const node = JSON.stringify(process.execPath);
    // As uid 65534, in a user and mount namespace of its own, on a root and a store it owns.
    const script = `set -e
mount -n -t tmpfs -o mode=0755 run /run
mkdir -m 0700 -p /run/keepsake/roots
D=$(mktemp -d /tmp/keepsake-userns.XXXXXX)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/root/etc" "$D/root/persist" "$D/store"
printf 'root:x:0:0::/root:/bin/sh\\n' > "$D/root/etc/passwd"
printf 'root:x:0:\\n' > "$D/root/etc/group"
printf 'persistence:\\n  /persist:\\n    directories: [ /var/lib/app ]\\n' > "$D/keepsake.yaml"
chown -R 65534:65534 "$D"
setpriv --reuid=65534 --regid=65534 --clear-groups unshare --map-root-user --mount sh -c '
  mount --bind "$1/store" "$1/root/persist" &&
  ${node} ${CLI} apply --root "$1/root" --config "$1/keepsake.yaml" &&
  grep -c " $1/root/var/lib/app " /proc/self/mountinfo' sh "$D"`;
    const [r] = system.boot([{ do: 'sh', cmd: script }]);
    assert.ok(r?.do === 'sh');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stderr, /EACCES|permission denied/);
    assert.match(r.stdout, /bind\s+\/persist\/var\/lib\/app → \/var\/lib\/app/);
    assert.match(r.stdout, /\n1\n$/);
  });
});
