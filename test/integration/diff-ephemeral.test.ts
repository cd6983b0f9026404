// What `keepsake diff` calls lost at the next reboot, on roots that are not a tmpfs: a
// persistent root with a tmpfs /home (only /home is walked, and nothing on the root is
// suggested for persisting), a fully persistent root (nothing is ephemeral, said plainly,
// exit 0), and the same root declared `ephemeral: [ / ]` (rolled back at boot: walked).
// Each boot is a private mount namespace whose root is a directory of a disk-backed file
// system.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI, requireNamespaces, type StepResult, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();

const CONFIG = `persistence:
  /persist:
    directories: [/var/log]
`;

const BUILD = `set -e
cd "$ROOT"
mkdir -p usr/bin opt/tool etc var/lib/app home
head -c 4000 /dev/zero > usr/bin/big
head -c 300 /dev/zero > opt/tool/run
printf 'conf' > etc/app.conf
printf 'state' > var/lib/app/state
`;
const HOME = `set -e
mount -n -t tmpfs tmpfs "$ROOT/home"
mkdir -p "$ROOT/home/jane"
printf 'notes!' > "$ROOT/home/jane/notes.txt"
`;

const diff = (args: string, config = '"$ROOT/etc/keepsake.yaml"') =>
  `${JSON.stringify(process.execPath)} ${CLI} diff --root "$ROOT" --config ${config} ${args}`;

type Rec = Record<string, unknown> & { type: string };
function recs(r: StepResult | undefined): { status: number; recs: Rec[] } {
  assert.ok(r?.do === 'sh');
  return {
    status: r.status,
    recs: r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Rec),
  };
}
const text = (r: StepResult | undefined) => {
  assert.ok(r?.do === 'sh');
  return { status: r.status, out: r.stdout, err: r.stderr };
};

describe('keepsake diff walks only what the next boot wipes', { skip }, () => {
  let results: StepResult[] = [];
  let system: TestSystem;
  before(() => {
    system = new TestSystem({ config: CONFIG, stores: ['/persist'], rootOnDisk: true });
    results = system.boot([
      { do: 'write', path: '/etc/keepsake.yaml', content: CONFIG },
      { do: 'write', path: '/etc/rolled.yaml', content: `ephemeral: [ / ]\n${CONFIG}` },
      { do: 'sh', cmd: BUILD },
      // 3, 4: a fully persistent root
      { do: 'sh', cmd: diff('--json') },
      { do: 'sh', cmd: diff('') },
      // 5: a path on it, by name
      { do: 'sh', cmd: diff('/opt --json') },
      // 6: the root declared ephemeral (rolled back at boot)
      { do: 'sh', cmd: diff('--json --depth 1', '"$ROOT/etc/rolled.yaml"') },
      // 7, 8: a tmpfs /home on the persistent root
      { do: 'sh', cmd: HOME },
      { do: 'sh', cmd: diff('--json --depth 5') },
      { do: 'sh', cmd: diff('') },
    ]);
  });
  after(() => system?.cleanup());

  it('a fully persistent root: nothing is walked, said plainly, exit 0', () => {
    const { status, recs: rs } = recs(results[3]);
    assert.equal(status, 0);
    assert.deepEqual(
      rs.filter((r) => r.type === 'path'),
      [],
    );
    const summary = rs.find((r) => r.type === 'summary');
    assert.equal(summary?.files, 0);
    assert.deepEqual(summary?.ephemeral, []);
    const t = text(results[4]);
    assert.equal(t.status, 0, t.err);
    assert.match(t.out, /nothing here is ephemeral/);
    assert.match(t.out, /ephemeral: \[ \/ \]/);
    assert.doesNotMatch(t.out, /keepsake add|lost/);
  });

  it('a persistent path given by name is walked but said to be kept, with no add', () => {
    const { status, recs: rs } = recs(results[5]);
    assert.equal(status, 0);
    const paths = rs.filter((r) => r.type === 'path');
    assert.deepEqual(
      paths.map((p) => [p.path, p.bytes]),
      [
        ['/opt', 300],
        ['/opt/tool', 300],
      ],
    );
    assert.ok(paths.every((p) => p.add === undefined));
    const summary = rs.find((r) => r.type === 'summary');
    assert.equal(summary?.bytes, 0, 'nothing of it counts as lost');
    assert.deepEqual(
      (summary?.persistent as { path: string }[] | undefined)?.map((p) => p.path),
      ['/opt'],
    );
  });

  it('a root declared ephemeral is walked and its paths suggested', () => {
    const { recs: rs } = recs(results[6]);
    const paths = Object.fromEntries(
      rs.filter((r) => r.type === 'path').map((p) => [p.path, p.add ?? null]),
    );
    assert.equal(paths['/usr'], 'keepsake add /usr');
    assert.equal(paths['/opt'], 'keepsake add /opt');
    const summary = rs.find((r) => r.type === 'summary');
    const areas = summary?.ephemeral as { path: string; fsType: string; why: string }[];
    assert.deepEqual(
      areas.map((a) => [a.path, a.why]),
      [['/', 'declared']],
    );
    assert.notEqual(areas[0]?.fsType, 'tmpfs');
    assert.ok((summary?.bytes as number) >= 4000 + 300 + 4 + 5);
  });

  it('a tmpfs /home on a persistent root: only /home is walked; nothing else suggested', () => {
    const home = results[7];
    assert.ok(home?.do === 'sh');
    assert.equal(home.status, 0, home.stderr);
    const { status, recs: rs } = recs(results[8]);
    assert.equal(status, 0);
    const paths = rs.filter((r) => r.type === 'path');
    assert.deepEqual(
      paths.map((p) => [p.path, p.bytes, p.add ?? null]),
      [
        ['/home', 6, null],
        ['/home/jane', 6, 'keepsake add /home/jane'],
      ],
    );
    const summary = rs.find((r) => r.type === 'summary');
    assert.equal(summary?.bytes, 6);
    const t = text(results[9]);
    assert.doesNotMatch(t.out, /keepsake add \/(usr|opt|etc|var|root)/);
    assert.match(t.out, /undeclared: 1 file, 6 B/);
  });
});
