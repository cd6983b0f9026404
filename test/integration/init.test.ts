// keepsake init on prepared machines: a desktop (NetworkManager, bluetooth, one user) and a
// server (PostgreSQL, docker). The proposal names what exists, comments out what does not,
// passes `keepsake check` against the same root, and the root is left exactly as it was.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI } from '../helpers/boot.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-init-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });

/** A root with accounts and the given directories (trailing /) and files, owned as named. */
function machine(
  name: string,
  passwd: string,
  group: string,
  paths: [string, number?, number?, number?][],
) {
  const root = path.join(tmp, name);
  fs.mkdirSync(`${root}/etc`, { recursive: true });
  fs.writeFileSync(`${root}/etc/passwd`, passwd);
  fs.writeFileSync(`${root}/etc/group`, group);
  for (const [p, uid = 0, gid = 0, mode] of paths) {
    const at = `${root}${p.replace(/\/$/, '')}`;
    if (p.endsWith('/')) fs.mkdirSync(at, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(at), { recursive: true });
      fs.writeFileSync(at, 'data\n');
    }
    fs.lchownSync(at, uid, gid);
    if (mode !== undefined) fs.chmodSync(at, mode);
  }
  return root;
}

/** Every path under the root with its type, owner, mode, size and mtime. */
function snapshot(root: string): string {
  const rows: string[] = [];
  const walk = (dir: string) => {
    for (const n of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, n);
      const st = fs.lstatSync(p);
      rows.push(`${p} ${st.mode} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return rows.join('\n');
}

const desktop = machine(
  'desktop',
  'root:x:0:0:root:/root:/bin/sh\njane:x:1000:1000:Jane:/home/jane:/bin/bash\n',
  'root:x:0:\njane:x:1000:\n',
  [
    ['/etc/machine-id'],
    ['/etc/NetworkManager/system-connections/', 0, 0, 0o700],
    ['/var/lib/bluetooth/', 0, 0, 0o700],
    ['/var/log/journal/'],
    ['/home/jane/', 1000, 1000, 0o700],
    ['/home/jane/.ssh/', 1000, 1000, 0o700],
    ['/home/jane/.mozilla/', 1000, 1000],
    ['/home/jane/Documents/', 1000, 1000],
    ['/home/jane/.local/share/fish/fish_history', 1000, 1000],
    ['/home/jane/.bash_history', 1000, 1000],
  ],
);

const server = machine(
  'server',
  'root:x:0:0:root:/root:/bin/sh\npostgres:x:112:118::/var/lib/postgresql:/bin/bash\n',
  'root:x:0:\npostgres:x:118:\ndocker:x:998:\n',
  [
    ['/var/lib/postgresql/15/main/', 112, 118, 0o700],
    ['/var/lib/postgresql/', 112, 118, 0o755],
    ['/var/lib/docker/', 0, 0, 0o710],
    ['/etc/ssh/ssh_host_ed25519_key'],
    ['/etc/ssh/ssh_host_ed25519_key.pub'],
    ['/var/lib/dpkg/status'],
  ],
);

/**
 * `check --root` on the machine as it stands: the file is valid (exit 0 or 1, never 2), and
 * the only problems the plan finds are the data that is there today, for `apply --adopt`.
 */
function assertValidHere(c: ReturnType<typeof cli>, entries: number) {
  assert.notEqual(c.status, 2, c.stdout + c.stderr);
  assert.match(c.stdout, new RegExp(`valid; ${entries} entries in 1 store`));
  const problems = c.stdout.split('\n').filter((l) => /^ {2}\S+:\//.test(l));
  for (const p of problems) assert.match(p, /already holds|is a file, but nothing/, c.stdout);
}

describe('keepsake init', () => {
  it('proposes what a desktop keeps, and nothing it does not have', () => {
    const before = snapshot(desktop);
    const r = cli('init', '--root', desktop);
    assert.equal(r.status, 0, r.stderr);
    const text = r.stdout;
    for (const line of [
      '      - { directory: /etc/NetworkManager/system-connections, mode: "0700" }',
      '      - { directory: /var/lib/bluetooth, mode: "0700" }',
      '      - /var/log',
      // Nested in another proposed entry of the same store: redundant, so left commented.
      '      # - /var/log/journal  # inside /var/log, proposed already',
      '      - /etc/machine-id',
      '      - /etc/passwd',
      '      - /etc/group',
      '      # - /etc/shadow  # not on this machine',
      '      jane:  # home /home/jane',
      '          - { directory: .ssh, mode: "0700" }',
      '          - .mozilla',
      '          - Documents',
      '          - .bash_history',
    ]) {
      assert.ok(text.split('\n').includes(line), `missing line: ${line}\n${text}`);
    }
    // fish replaces its history by rename: a bind-mounted file would break it.
    assert.match(text, /- \{ file: \.local\/share\/fish\/fish_history, method: symlink \}/);
    assert.match(text, /# nothing found for: .*docker/);
    assert.doesNotMatch(text, /^\s+- \/var\/lib\/docker/m);
    // Salvage at shutdown, proposed on: what the first reboot would wipe is kept.
    assert.match(text, /^salvage:\n {2}enable: true\n {2}maxBytes: 256M\n {2}keepBoots: 5$/m);
    assert.equal(snapshot(desktop), before, 'init changed the root');
    // The proposal is a valid configuration for that machine as it stands.
    const file = path.join(tmp, 'desktop.yaml');
    fs.writeFileSync(file, text);
    const c = cli('check', '--config', file, '--root', desktop);
    assertValidHere(c, 11);
  });

  it('proposes what a server keeps, with the owners found', () => {
    const before = snapshot(server);
    const r = cli('init', '--root', server, '--store', '/nix/persist');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    for (const line of [
      '  /nix/persist:',
      '      - { directory: /var/lib/postgresql, user: postgres, group: postgres }',
      '      - { directory: /var/lib/docker, mode: "0710" }',
      '      - /var/lib/dpkg',
      '      - /etc/ssh/ssh_host_ed25519_key',
      '      - /etc/ssh/ssh_host_ed25519_key.pub',
      '      # - /etc/ssh/ssh_host_rsa_key  # not on this machine',
    ]) {
      assert.ok(lines.includes(line), `missing line: ${line}\n${r.stdout}`);
    }
    // No user has a home here (postgres is a system account): no users block.
    assert.doesNotMatch(r.stdout, /^\s+users:/m);
    assert.equal(snapshot(server), before, 'init changed the root');
    const file = path.join(tmp, 'server.yaml');
    fs.writeFileSync(file, r.stdout);
    const c = cli('check', '--config', file, '--root', server);
    assertValidHere(c, 7);
  });

  it('writes --output once, and never over a file or through a planted link', () => {
    const out = path.join(tmp, 'out.yaml');
    const first = cli('init', '--root', server, '--output', out);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, '');
    assert.match(
      fs.readFileSync(out, 'utf8'),
      /^# yaml-language-server: \$schema=.*\n# keepsake configuration proposed/,
    );
    const again = cli('init', '--root', server, '--output', out);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists; keepsake does not overwrite it/);
    const victim = path.join(tmp, 'victim');
    fs.writeFileSync(victim, 'keep me\n');
    const planted = path.join(tmp, 'planted.yaml');
    fs.symlinkSync(victim, planted);
    const viaLink = cli('init', '--root', server, '--output', planted);
    assert.equal(viaLink.status, 2);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'keep me\n');
  });
});
