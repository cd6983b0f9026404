// Compiled mode and the service unit, as pure functions of the model: unit names (checked
// against the real systemd-escape), unit contents, ordering, initrd paths, the prepare rules.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  escapePath,
  tmpfilesArgument,
  tmpfilesPath,
  unitNameForPath,
  unitWord,
} from '../../src/compile/escape.js';
import { outerParents } from '../../src/compile/layout.js';
import { bootedPath, buildService, chooseBin, FALLBACK_BIN } from '../../src/compile/service.js';
import { parseStoreDevices } from '../../src/compile/store-device.js';
import type { CompiledFile, CompiledOutput, CompileOptions } from '../../src/compile/types.js';
import { compileSystemd, TMPFILES_FILE } from '../../src/compile/units.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import type { Model } from '../../src/model/types.js';
import { MACHINE_ID_SEED } from '../../src/plan/entry-file.js';
import { entry, model, owner } from '../helpers/builders.js';

const NORMAL: CompileOptions = { initrd: false, storeDevices: [] };
const INITRD: CompileOptions = { initrd: true, storeDevices: [] };

/** A unit file as `section → [key, value][]` (comments dropped). */
function parseUnit(text: string): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  let section = '';
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      out.set(section, []);
      continue;
    }
    const eq = line.indexOf('=');
    out.get(section)!.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

/** Every value of `key` in `section`, split on spaces (lists) unless `whole`. */
function values(file: CompiledFile | undefined, section: string, key: string, whole = false) {
  assert.ok(file, `no such file`);
  const lines = parseUnit(file.content).get(section) ?? [];
  return lines.filter(([k]) => k === key).flatMap(([, v]) => (whole ? [v] : v.split(' ')));
}

const fileAt = (out: CompiledOutput, path: string) => out.files.find((f) => f.path === path);
const unitPaths = (out: CompiledOutput) =>
  out.files.filter((f) => f.path.startsWith('system/') && !f.symlink).map((f) => f.path);
const rulesOf = (out: CompiledOutput) =>
  fileAt(out, TMPFILES_FILE)!
    .content.split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'));

const systemdEscape = spawnSync('systemd-escape', ['--version'], { encoding: 'utf8' });
const noSystemdEscape =
  systemdEscape.status === 0 ? false : 'systemd-escape is not installed on this machine';

describe('unit names', () => {
  const nasty = [
    '/',
    '/var/log',
    '/home/jane/VirtualBox VMs',
    '/a b/c',
    '/x-y/-z-',
    '/.hidden/.x',
    '/a/b.c/d:e_f',
    '/ü/ñ/日本',
    '/emoji/😀',
    '/back\\slash',
    '/pct%d',
    '/tab\there',
    '/new\nline',
    '/~tilde/*star/[br]/{c}/$x/"q"/\'s\'',
    '/a/./b',
    '//doubled//slashes/',
  ];
  it('match systemd-escape --path for every name', {
    skip: process.env.CI === 'true' ? false : noSystemdEscape,
  }, () => {
    assert.equal(noSystemdEscape, false, 'systemd-escape is required under CI');
    for (const p of nasty) {
      const real = spawnSync('systemd-escape', ['--path', '--suffix=mount', '--', p], {
        encoding: 'utf8',
      });
      assert.equal(real.status, 0, real.stderr);
      assert.equal(unitNameForPath(p), real.stdout.replace(/\n$/, ''), JSON.stringify(p));
    }
  });

  it('escape as systemd documents it, without the binary', () => {
    assert.equal(escapePath('/'), '-');
    assert.equal(escapePath('/var/lib/x-y'), 'var-lib-x\\x2dy');
    assert.equal(escapePath('/.cache/.x'), '\\x2ecache-.x');
    assert.equal(escapePath('/ä b'), '\\xc3\\xa4\\x20b');
    assert.throws(() => escapePath('relative/path'));
    assert.throws(() => escapePath('/a/../b'));
  });
});

describe('escaping values', () => {
  it('quotes words that need it, with specifiers and $ escaped in commands', () => {
    assert.equal(unitWord('/persist', { command: false }), '/persist');
    assert.equal(unitWord('/a b/100%', { command: false }), '"/a b/100%%"');
    assert.equal(unitWord('/a"b\\c$d', { command: true }), '"/a\\"b\\\\c$$d"');
    assert.equal(unitWord('/a$d', { command: false }), '"/a$d"');
  });

  it('writes tmpfiles paths quoted and arguments escaped', () => {
    assert.equal(tmpfilesPath('/a b/"c"\\%'), '"/a b/\\"c\\"\\\\%%"');
    assert.equal(tmpfilesArgument('/a b/\\%\tx'), '/a\\x20b/\\\\%%\\x09x');
  });
});

describe('compiled mount units', () => {
  it('bind each directory, with the store first and the prepare service before it', () => {
    const out = compileSystemd(model([entry('directory', '/var/log')]), NORMAL);
    const unit = fileAt(out, 'system/var-log.mount');
    assert.deepEqual(values(unit, 'Mount', 'What'), ['/persist/var/log']);
    assert.deepEqual(values(unit, 'Mount', 'Where'), ['/var/log']);
    assert.deepEqual(values(unit, 'Mount', 'Type'), ['none']);
    assert.deepEqual(values(unit, 'Mount', 'Options'), ['bind']);
    assert.deepEqual(values(unit, 'Unit', 'DefaultDependencies'), ['no']);
    assert.deepEqual(values(unit, 'Unit', 'Conflicts'), ['umount.target']);
    assert.deepEqual(values(unit, 'Unit', 'RequiresMountsFor'), ['/persist/var/log']);
    assert.deepEqual(values(unit, 'Unit', 'Requires'), [
      'keepsake-prepare.service',
      'keepsake-check-var-log.service',
    ]);
    assert.deepEqual(values(unit, 'Unit', 'After'), [
      'keepsake-prepare.service',
      'keepsake-check-var-log.service',
    ]);
    assert.deepEqual(values(unit, 'Unit', 'Before').sort(), [
      'keepsake.target',
      'local-fs.target',
      'umount.target',
    ]);
  });

  it('carry hideMount and allowTrash as userspace options', () => {
    const out = compileSystemd(
      model([
        entry('directory', '/a', { hideMount: true }),
        entry('directory', '/b', { allowTrash: true }),
        entry('file', '/c', { hideMount: true, allowTrash: true }),
      ]),
      NORMAL,
    );
    assert.deepEqual(values(fileAt(out, 'system/a.mount'), 'Mount', 'Options'), [
      'bind,x-gvfs-hide',
    ]);
    assert.deepEqual(values(fileAt(out, 'system/b.mount'), 'Mount', 'Options'), [
      'bind,x-gvfs-trash',
    ]);
    assert.deepEqual(values(fileAt(out, 'system/c.mount'), 'Mount', 'Options'), [
      'bind,x-gvfs-hide,x-gvfs-trash',
    ]);
  });

  it('escape % in values and quote paths with spaces in RequiresMountsFor=', () => {
    const out = compileSystemd(model([entry('directory', '/srv/100% done')]), NORMAL);
    const unit = fileAt(out, 'system/srv-100\\x25\\x20done.mount');
    assert.deepEqual(values(unit, 'Mount', 'Where', true), ['/srv/100%% done']);
    assert.deepEqual(values(unit, 'Mount', 'What', true), ['/persist/srv/100%% done']);
    assert.deepEqual(values(unit, 'Unit', 'RequiresMountsFor', true), [
      '"/persist/srv/100%% done"',
    ]);
  });

  it('make no unit for links, nor for entries a same-store parent already shows', () => {
    const out = compileSystemd(
      model([
        entry('directory', '/srv/linked', { method: 'symlink' }),
        entry('file', '/etc/linked.conf', { method: 'symlink' }),
        entry('directory', '/var/lib/app'),
        entry('directory', '/var/lib/app/cache'),
        entry('file', '/var/lib/app/app.conf'),
      ]),
      NORMAL,
    );
    assert.deepEqual(unitPaths(out).sort(), [
      'system/keepsake-check-var-lib-app.service',
      'system/keepsake-prepare.service',
      'system/keepsake.target',
      'system/var-lib-app.mount',
    ]);
    const rules = rulesOf(out);
    assert.ok(rules.includes('L "/srv/linked" - - - - /persist/srv/linked'), rules.join('\n'));
    assert.ok(rules.includes('L "/etc/linked.conf" - - - - /persist/etc/linked.conf'));
    // The covered directory still gets its store directory, as apply makes it.
    assert.ok(rules.includes('d "/persist/var/lib/app/cache" :0755 :0 :0 - -'));
    assert.ok(!rules.some((l) => l.includes('app.conf')), rules.join('\n'));
  });

  it('order nested binds after the binds they lie in or take their data from', () => {
    const out = compileSystemd(
      model([
        entry('directory', '/var/lib'),
        entry('directory', '/var/lib/app', { storeRoot: '/state', store: '/state/var/lib/app' }),
        entry('file', '/var/lib/app/secret', { storeRoot: '/vault', store: '/vault/secret' }),
        // The store of this one lies inside another entry's target.
        entry('directory', '/opt/data', { storeRoot: '/srv', store: '/srv/keep/data' }),
        entry('directory', '/srv/keep', { storeRoot: '/persist', store: '/persist/srv/keep' }),
      ]),
      NORMAL,
    );
    const after = (u: string) => values(fileAt(out, `system/${u}`), 'Unit', 'After');
    const requires = (u: string) => values(fileAt(out, `system/${u}`), 'Unit', 'Requires');
    assert.ok(after('var-lib-app.mount').includes('var-lib.mount'));
    assert.ok(requires('var-lib-app.mount').includes('var-lib.mount'));
    assert.ok(after('var-lib-app-secret.mount').includes('var-lib-app.mount'));
    assert.ok(!after('var-lib-app-secret.mount').includes('var-lib.mount'));
    assert.ok(after('opt-data.mount').includes('srv-keep.mount'));
    assert.ok(requires('opt-data.mount').includes('srv-keep.mount'));
    assert.deepEqual(after('var-lib.mount'), [
      'keepsake-prepare.service',
      'keepsake-check-var-lib.service',
    ]);
    // A check looks at its target once the binds it lies in are made.
    assert.deepEqual(after('keepsake-check-var-lib-app-secret.service'), [
      'keepsake-prepare.service',
      'var-lib-app.mount',
    ]);
    // A bind hosting another store's entry must not pass mounts back into its store.
    assert.deepEqual(values(fileAt(out, 'system/var-lib.mount'), 'Mount', 'Options'), [
      'bind,slave',
    ]);
    assert.deepEqual(values(fileAt(out, 'system/var-lib-app.mount'), 'Mount', 'Options'), [
      'bind,slave',
    ]);
    // The nested mount points live in the parent's store, where apply makes them too.
    const rules = rulesOf(out);
    assert.ok(rules.includes('d "/persist/var/lib/app" :0755 :0 :0 - -'), rules.join('\n'));
    assert.ok(rules.includes('f "/state/var/lib/app/secret" :0644 :0 :0 - -'), rules.join('\n'));
  });

  it('mount a nested entry under a linked directory at the link target', () => {
    const out = compileSystemd(
      model([
        entry('directory', '/home/jane/Games', { method: 'symlink' }),
        entry('directory', '/home/jane/Games/saves', {
          storeRoot: '/state',
          store: '/state/home/jane/Games/saves',
        }),
      ]),
      NORMAL,
    );
    const unit = fileAt(out, 'system/persist-home-jane-Games-saves.mount');
    assert.deepEqual(values(unit, 'Mount', 'Where'), ['/persist/home/jane/Games/saves']);
  });
});

describe('the prepare rules', () => {
  it('create what is missing and keep what exists, except what the config names', () => {
    const explicit = { user: true, group: false, mode: true };
    const out = compileSystemd(
      model([
        entry('directory', '/var/lib/colord', { owner: owner(105, 110, 0o750, explicit) }),
        entry('file', '/etc/app.conf', { owner: owner(0, 0, 0o600) }),
      ]),
      NORMAL,
    );
    // Entries parents first (by depth), store before target.
    assert.deepEqual(rulesOf(out), [
      'f "/persist/etc/app.conf" :0600 :0 :0 - -',
      'f "/etc/app.conf" :0600 :0 :0 - -',
      'd "/persist/var/lib/colord" 0750 105 :110 - -',
      'd "/var/lib/colord" :0750 :105 :110 - -',
    ]);
  });

  it('seed the stored machine-id so that systemd commits its id there', () => {
    const out = compileSystemd(model([entry('file', '/etc/machine-id')]), INITRD);
    const seed = rulesOf(out).find((l) => l.startsWith('f~ "/sysroot/persist/etc/machine-id"'));
    assert.ok(seed, rulesOf(out).join('\n'));
    const b64 = seed.split(' ').at(-1)!;
    assert.equal(Buffer.from(b64, 'base64').toString(), MACHINE_ID_SEED);
    assert.match(seed, / :0444 :0 :0 - /);
  });

  it('create parents in homes as the user, the home 0700, and the parentDirectory as named', () => {
    const jane = { user: 'jane', uid: 1000, gid: 1000, path: '/home/jane' };
    const out = compileSystemd(
      model([
        entry('directory', '/home/jane/.local/share/keyrings', {
          home: jane,
          owner: owner(1000, 1000, 0o700),
          parents: owner(1000, 1000, 0o711),
        }),
      ]),
      NORMAL,
    );
    const rules = rulesOf(out);
    for (const line of [
      'd "/persist/home/jane" :0700 :1000 :1000 - -',
      'd "/persist/home/jane/.local" :0755 :1000 :1000 - -',
      'd "/persist/home/jane/.local/share" :0711 :1000 :1000 - -',
      'd "/persist/home/jane/.local/share/keyrings" :0700 :1000 :1000 - -',
      'd "/home/jane" :0700 :1000 :1000 - -',
      'd "/home/jane/.local/share" :0711 :1000 :1000 - -',
    ])
      assert.ok(rules.includes(line), `${line}\nnot in\n${rules.join('\n')}`);
    // Root's 0755 parents are what tmpfiles makes by itself: no line rewrites /home or /persist.
    assert.ok(!rules.some((l) => /"\/(persist|home)" /.test(l)), rules.join('\n'));
  });

  it("let an entry's own line win over a parent line for the same path", () => {
    const out = compileSystemd(
      model([
        entry('directory', '/x', { store: '/persist/data/x/y' }),
        entry('directory', '/y/z', { store: '/persist/data/x', owner: owner(7, 7, 0o700) }),
        entry('directory', '/w', { store: '/persist/w/v', parents: owner(0, 0, 0o700) }),
      ]),
      NORMAL,
    );
    const lines = rulesOf(out).filter((l) => l.includes('"/persist/data/x"'));
    assert.deepEqual(lines, ['d "/persist/data/x" :0700 :7 :7 - -']);
  });

  it('travel inside the prepare service, identical to tmpfiles.d/keepsake.conf', () => {
    const out = compileSystemd(
      model([
        entry('directory', '/var/log'),
        entry('directory', '/srv', { storeRoot: '/state', store: '/state/srv' }),
      ]),
      NORMAL,
    );
    const unit = fileAt(out, 'system/keepsake-prepare.service');
    const data = values(unit, 'Service', 'StandardInputData', true).join('');
    assert.equal(Buffer.from(data, 'base64').toString(), fileAt(out, TMPFILES_FILE)!.content);
    assert.deepEqual(values(unit, 'Service', 'ExecStart', true), ['systemd-tmpfiles --create -']);
    assert.deepEqual(values(unit, 'Service', 'Type'), ['oneshot']);
    // The stores, and where the targets are made (/var for /var/log; / needs no line).
    assert.deepEqual(values(unit, 'Unit', 'RequiresMountsFor'), ['/persist', '/state', '/var']);
    assert.deepEqual(values(unit, 'Unit', 'After'), ['local-fs-pre.target']);
  });
});

describe('the target and the initrd', () => {
  const m = model([entry('directory', '/var/log', { hideMount: true }), entry('file', '/etc/a')]);

  it('pull in every unit through keepsake.target, enabled by a relative link', () => {
    const out = compileSystemd(m, NORMAL);
    const target = fileAt(out, 'system/keepsake.target');
    const wanted = ['keepsake-prepare.service', 'etc-a.mount', 'var-log.mount'];
    // Required: the target is not reached when a bind is missing.
    assert.deepEqual(values(target, 'Unit', 'Requires'), wanted);
    assert.deepEqual(values(target, 'Unit', 'Wants'), []);
    assert.deepEqual(values(target, 'Unit', 'After'), wanted);
    assert.ok(values(target, 'Unit', 'Before').includes('local-fs.target'));
    const link = fileAt(out, 'system/local-fs.target.wants/keepsake.target');
    assert.equal(link?.symlink, '../keepsake.target');
  });

  it('put every path under /sysroot and finish before initrd-fs.target', () => {
    const out = compileSystemd(m, INITRD);
    const unit = fileAt(out, 'system/sysroot-var-log.mount');
    assert.deepEqual(values(unit, 'Mount', 'What'), ['/sysroot/persist/var/log']);
    assert.deepEqual(values(unit, 'Mount', 'Where'), ['/sysroot/var/log']);
    assert.deepEqual(values(unit, 'Mount', 'Options'), ['bind,x-gvfs-hide,x-initrd.mount']);
    assert.ok(values(unit, 'Unit', 'After').includes('initrd-root-fs.target'));
    assert.ok(values(unit, 'Unit', 'Before').includes('initrd-fs.target'));
    assert.ok(!values(unit, 'Unit', 'Before').includes('local-fs.target'));
    assert.ok(fileAt(out, 'system/sysroot-etc-a.mount'));
    assert.equal(
      fileAt(out, 'system/initrd-fs.target.wants/keepsake.target')?.symlink,
      '../keepsake.target',
    );
    assert.equal(fileAt(out, 'system/local-fs.target.wants/keepsake.target'), undefined);
    const prepare = fileAt(out, 'system/keepsake-prepare.service');
    assert.deepEqual(values(prepare, 'Unit', 'RequiresMountsFor'), [
      '/sysroot/persist',
      '/sysroot/etc',
      '/sysroot/var',
    ]);
    assert.deepEqual(values(prepare, 'Unit', 'After'), ['initrd-root-fs.target']);
    for (const rule of rulesOf(out)) assert.match(rule, /^\S+ "\/sysroot\//);
  });

  it('keep link targets as the booted system sees them', () => {
    const out = compileSystemd(model([entry('directory', '/srv', { method: 'symlink' })]), INITRD);
    assert.ok(rulesOf(out).includes('L "/sysroot/srv" - - - - /persist/srv'));
  });
});

describe('store devices', () => {
  const m = model([
    entry('directory', '/var/log'),
    entry('directory', '/home/jane/.ssh', {
      storeRoot: '/persist/home/jane',
      store: '/persist/home/jane/.ssh',
    }),
  ]);

  it('refuse a store or device a unit file cannot hold, and write the rest escaped', () => {
    // Each would end up in persist.mount: a newline would start a line of its own
    // (`Wants=evil-injected.service`), trailing whitespace would be stripped, and a trailing
    // backslash would join the next line.
    for (const bad of [
      '/persist=/dev/vdb\nWants=evil-injected.service',
      '/persist=/dev/vdb\n[Mount]\nOptions=suid,dev',
      '/persist=/dev/disk/by-label/x\\',
      '/persist=/dev/disk/by-label/x ',
      '/persist=/dev/disk/by-label/x\t',
      '/pers\nist=/dev/vdb',
    ])
      assert.throws(
        () => parseStoreDevices([bad], ['/persist', '/pers\nist']),
        (e: unknown) =>
          e instanceof UsageError &&
          /cannot be written in a unit file|absolute path/.test(e.message),
        JSON.stringify(bad),
      );
    // What a unit file can hold is written as it is, `%` doubled (a specifier otherwise).
    for (const [spec, what] of [
      ['/persist=/dev/disk/by-label/a=b', '/dev/disk/by-label/a=b'],
      ['/persist=/dev/disk/by-label/50%off', '/dev/disk/by-label/50%%off'],
      ['/persist=/dev/disk/by-label/my disk', '/dev/disk/by-label/my disk'],
      ['/persist=/dev/disk/by-label/"q\'s"', '/dev/disk/by-label/"q\'s"'],
    ] as const) {
      const storeDevices = parseStoreDevices([spec], m.stores);
      const unit = fileAt(
        compileSystemd(m, { initrd: false, storeDevices }),
        'system/persist.mount',
      );
      assert.deepEqual(values(unit, 'Mount', 'What', true), [what], spec);
      assert.equal(unit?.content.split('\n').filter((l) => l.startsWith('What=')).length, 1);
    }
  });

  it('parse STORE=DEVICE[:FSTYPE], keeping colons that belong to the device', () => {
    assert.deepEqual(parseStoreDevices(['/persist=/dev/disk/by-label/persist:ext4'], m.stores), [
      { store: '/persist', what: '/dev/disk/by-label/persist', fsType: 'ext4' },
    ]);
    assert.deepEqual(
      parseStoreDevices(['/persist/=/dev/disk/by-path/pci-0000:00:1f.2'], m.stores),
      [{ store: '/persist', what: '/dev/disk/by-path/pci-0000:00:1f.2' }],
    );
    for (const bad of [
      '/persist',
      '/elsewhere=/dev/vdb',
      'persist=/dev/vdb',
      '/persist=LABEL=x',
      '/=/dev/vdb',
    ])
      assert.throws(() => parseStoreDevices([bad], m.stores), UsageError, bad);
    assert.throws(
      () => parseStoreDevices(['/persist=/dev/a', '/persist=/dev/b'], m.stores),
      UsageError,
    );
  });

  it('mount the store before the prepare service, wanted by keepsake.target', () => {
    const storeDevices = parseStoreDevices(['/persist=/dev/disk/by-label/persist:ext4'], m.stores);
    for (const [opts, name, where] of [
      [{ initrd: false, storeDevices }, 'persist.mount', '/persist'],
      [{ initrd: true, storeDevices }, 'sysroot-persist.mount', '/sysroot/persist'],
    ] as const) {
      const out = compileSystemd(m, opts);
      const unit = fileAt(out, `system/${name}`);
      assert.deepEqual(values(unit, 'Mount', 'What'), ['/dev/disk/by-label/persist']);
      assert.deepEqual(values(unit, 'Mount', 'Where'), [where]);
      assert.deepEqual(values(unit, 'Mount', 'Type'), ['ext4']);
      assert.ok(values(unit, 'Unit', 'Before').includes('keepsake-prepare.service'));
      const target = fileAt(out, 'system/keepsake.target');
      assert.ok(values(target, 'Unit', 'Requires').includes(name));
    }
  });
});

describe('what compiled mode refuses or warns about', () => {
  it('refuses paths a unit file cannot hold, naming each entry', () => {
    const long = `/${'a'.repeat(250)}`;
    const m = model([
      entry('directory', '/srv/ends\\'),
      entry('directory', long),
      entry('directory', '/srv/fine', { method: 'symlink', store: '/persist/ends\\' }),
    ]);
    assert.throws(
      () => compileSystemd(m, NORMAL),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const codes = e.diagnostics.map((d) => d.code).sort();
        // The long path's mount unit, and the unit that checks its target.
        assert.deepEqual(codes, [
          'compile-path',
          'compile-path',
          'compile-unit-name',
          'compile-unit-name',
        ]);
        assert.ok(e.diagnostics.every((d) => d.source?.file === 'test.yaml'));
        return true;
      },
    );
  });

  it('says once that adoption is not done, and that machine-id needs the initrd', () => {
    const m: Model = model([
      entry('directory', '/a', { adopt: true }),
      entry('directory', '/b', { adopt: true }),
      entry('file', '/etc/machine-id'),
    ]);
    const codes = (o: CompileOptions) => compileSystemd(m, o).warnings.map((w) => w.code);
    assert.deepEqual(codes(NORMAL), ['compile-no-adoption', 'compile-machine-id-late']);
    assert.deepEqual(codes(INITRD), ['compile-no-adoption']);
    // The initrd's prepare service leaves the drop-in for the booted system's commit in /run,
    // which moves to the booted system at switch-root.
    const line = compileSystemd(m, INITRD)
      .files.find((f) => f.path === TMPFILES_FILE)!
      .content.split('\n')
      .find((l) => l.includes('systemd-machine-id-commit'));
    assert.match(
      line ?? '',
      /^f~ "\/run\/systemd\/system\/systemd-machine-id-commit\.service\.d\/keepsake\.conf" 0644 0 0 - \S+$/,
    );
    const dropIn = Buffer.from(line!.split(' ').at(-1)!, 'base64').toString();
    assert.match(dropIn, /^\[Service\]$/m);
    assert.match(dropIn, /^ExecCondition=\/bin\/sh -c .* \/etc\/machine-id$/m);
    // Units for the booted system cannot bind it (systemd's own mount is there first).
    const normal = compileSystemd(m, NORMAL);
    assert.equal(fileAt(normal, 'system/etc-machine\\x2did.mount'), undefined);
    assert.ok(!normal.files.some((f) => f.content.includes('systemd-machine-id-commit')));
    assert.match(compileSystemd(m, NORMAL).warnings[0]!.message, /^2 entries/);
  });
});

describe('the directories targets are made in', () => {
  it('name the parents of the outermost entries only, deepest first implied', () => {
    assert.deepEqual(
      outerParents([
        entry('directory', '/home/jane/Documents'),
        entry('file', '/home/jane/.bash_history'),
        // Inside another entry: its parent is a bind of keepsake's own, a cycle if required.
        entry('directory', '/var/lib/private'),
        entry('directory', '/var/lib/private/scrutiny'),
        entry('file', '/var/lib/private/x/y'),
        // /home is implied by /home/jane; /var by /var/lib.
        entry('directory', '/home/shared'),
        entry('directory', '/var/log'),
        entry('directory', '/srv'),
      ]),
      ['/home/jane', '/var/lib'],
    );
  });
});

describe('the service unit', () => {
  const m = model([
    entry('directory', '/var/log'),
    entry('directory', '/srv/link', { method: 'symlink' }),
    entry('directory', '/data', { storeRoot: '/state', store: '/state/data' }),
  ]);

  it('runs apply at boot and release at shutdown, after the stores and the config', () => {
    const out = buildService(m, {
      bin: '/usr/local/bin/keepsake',
      configFile: '/persist/keepsake/my config%$.yaml',
    });
    const unit = out.files[0];
    assert.equal(unit?.path, 'keepsake.service');
    assert.deepEqual(values(unit, 'Service', 'ExecStart', true), [
      '/usr/local/bin/keepsake apply --config "/persist/keepsake/my config%%$$.yaml" --keep-going',
    ]);
    assert.deepEqual(values(unit, 'Service', 'ExecStop', true), [
      '/usr/local/bin/keepsake release --config "/persist/keepsake/my config%%$$.yaml"',
    ]);
    assert.deepEqual(values(unit, 'Service', 'Type'), ['oneshot']);
    assert.deepEqual(values(unit, 'Service', 'RemainAfterExit'), ['yes']);
    // The apply knows it runs at boot: it leaves out what only later runs need.
    assert.deepEqual(values(unit, 'Service', 'Environment'), ['KEEPSAKE_BOOT=1']);
    assert.deepEqual(values(unit, 'Unit', 'RequiresMountsFor'), [
      '/persist',
      '/state',
      '/persist/keepsake',
      '/usr/local/bin/keepsake',
      '/srv',
      '/var',
    ]);
    const before = values(unit, 'Unit', 'Before');
    for (const u of ['local-fs.target', 'umount.target', 'systemd-tmpfiles-setup.service'])
      assert.ok(before.includes(u), u);
    // Stopped once systemd has unmounted keepsake's binds: nothing is unmounted twice.
    assert.ok(before.includes('var-log.mount') && before.includes('data.mount'));
    assert.ok(!before.includes('srv-link.mount'));
    assert.ok(!values(unit, 'Unit', 'After').some((u) => u.endsWith('.mount')));
    // Nothing is done when a store is not mounted.
    assert.match(
      values(unit, 'Service', 'ExecStartPre', true)[0] ?? '',
      /^\/bin\/sh -c .* \/persist \/persist \/state \/state$/,
    );
    assert.deepEqual(values(unit, 'Install', 'WantedBy'), ['local-fs.target']);
    assert.deepEqual(out.files[1], {
      path: 'local-fs.target.wants/keepsake.service',
      content: '',
      symlink: '../keepsake.service',
    });
    assert.deepEqual(out.warnings, []);
  });

  it('warns when the configuration would not exist on a volatile root', () => {
    const out = buildService(m, { bin: FALLBACK_BIN, configFile: '/etc/keepsake/config.yaml' });
    assert.deepEqual(
      out.warnings.map((w) => w.code),
      ['service-config-volatile'],
    );
  });

  it('names the running launcher only when it survives a reboot', () => {
    assert.equal(
      chooseBin('/usr/lib/node_modules/keepsake/bin/keepsake.js', []),
      '/usr/lib/node_modules/keepsake/bin/keepsake.js',
    );
    assert.equal(chooseBin('/persist/opt/keepsake.js', ['/persist']), '/persist/opt/keepsake.js');
    assert.equal(chooseBin('/tmp/x/bin/keepsake.js', ['/persist']), FALLBACK_BIN);
    assert.equal(chooseBin('/root/.npm/_npx/1/keepsake.js', []), FALLBACK_BIN);
    assert.equal(chooseBin(undefined, []), FALLBACK_BIN);
  });

  it('names paths as the booted system sees them under --root', () => {
    assert.equal(bootedPath('/', '/etc/k.yaml'), '/etc/k.yaml');
    assert.equal(bootedPath('/mnt', '/mnt/persist/k.yaml'), '/persist/k.yaml');
    assert.equal(bootedPath('/mnt', '/mntx/k.yaml'), undefined);
  });
});

describe('SSH host keys', () => {
  const keys = model([
    entry('file', '/etc/ssh/ssh_host_ed25519_key'),
    entry('file', '/etc/ssh/ssh_host_ed25519_key.pub'),
    entry('directory', '/var/log'),
  ]);
  const UNIT = 'keepsake-ssh-host-keys.service';

  it('are made in the store before the binds when compiled, and only the missing ones', () => {
    const out = compileSystemd(keys, NORMAL);
    const unit = fileAt(out, `system/${UNIT}`);
    assert.ok(unit, 'the unit is written');
    assert.deepEqual(values(unit, 'Unit', 'RequiresMountsFor'), ['/persist']);
    // After the prepare service found the store mounted; before the keys are bound.
    assert.deepEqual(values(unit, 'Unit', 'Requires'), ['keepsake-prepare.service']);
    assert.ok(values(unit, 'Unit', 'After').includes('keepsake-prepare.service'));
    assert.deepEqual(values(unit, 'Unit', 'Before').slice(0, 2), [
      'etc-ssh-ssh_host_ed25519_key.mount',
      'etc-ssh-ssh_host_ed25519_key.pub.mount',
    ]);
    for (const k of ['etc-ssh-ssh_host_ed25519_key', 'etc-ssh-ssh_host_ed25519_key.pub']) {
      const bind = fileAt(out, `system/${k}.mount`);
      assert.deepEqual(values(bind, 'Unit', 'ConditionFileNotEmpty'), [
        `/persist/etc/ssh/${k.slice('etc-ssh-'.length)}`,
      ]);
      assert.ok(values(bind, 'Unit', 'After').includes(UNIT));
    }
    // No key is ever created empty, nor its mount point; the directory ssh-keygen -A needs is.
    const rules = rulesOf(out);
    assert.ok(!rules.some((l) => l.includes('ssh_host')), rules.join('\n'));
    assert.ok(rules.includes('d "/persist/etc/ssh" :0755 :0 :0 - -'), rules.join('\n'));
    const exec = values(unit, 'Service', 'ExecStart', true);
    assert.equal(exec.length, 1, 'one command per private key');
    assert.match(exec[0]!, /if \[ ! -s '\/persist\/etc\/ssh\/ssh_host_ed25519_key' \]; then/);
    assert.match(
      exec[0]!,
      /elif \[ ! -s '[^']+'\.pub \]; then ssh-keygen -y -f '[^']+' > '[^']+'\.pub; fi/,
    );
    assert.match(exec[0]!, /ssh-keygen -q -t ed25519/);
    assert.equal(fileAt(out, `system/keepsake.target.wants/${UNIT}`)?.symlink, `../${UNIT}`);
  });

  it('are left to the administrator in the initrd, with a warning', () => {
    const out = compileSystemd(keys, INITRD);
    assert.equal(fileAt(out, `system/${UNIT}`), undefined);
    assert.ok(out.warnings.some((w) => w.code === 'compile-ssh-keys-initrd'));
  });

  it('come before keepsake.service in service mode, and no unit without persisted keys', () => {
    const out = buildService(keys, { bin: '/usr/bin/keepsake', configFile: '/persist/k.yaml' });
    const unit = out.files.find((f) => f.path === UNIT);
    assert.ok(values(unit, 'Unit', 'Before')[0]?.startsWith('keepsake.service'));
    // Keys are made only in a mounted store.
    assert.equal(values(unit, 'Service', 'ExecStartPre', true).length, 1);
    assert.equal(
      out.files.find((f) => f.path === `keepsake.service.wants/${UNIT}`)?.symlink,
      `../${UNIT}`,
    );
    const none = buildService(model([entry('directory', '/var/log')]), {
      bin: '/usr/bin/keepsake',
      configFile: '/persist/k.yaml',
    });
    assert.equal(none.files.length, 2);
  });
});
