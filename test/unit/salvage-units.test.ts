// salvage.enable in the units: keepsake.service salvages first at shutdown, then releases;
// compiled mode has a unit of its own, stopped before any bind is unmounted. Off: nothing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SALVAGE_UNIT } from '../../src/compile/salvage-unit.js';
import { buildService } from '../../src/compile/service.js';
import type { CompiledFile } from '../../src/compile/types.js';
import { compileSystemd } from '../../src/compile/units.js';
import type { Model } from '../../src/model/types.js';
import { entry, model } from '../helpers/builders.js';

function values(file: CompiledFile | undefined, section: string, key: string): string[] {
  assert.ok(file, 'no such file');
  let at = '';
  const out: string[] = [];
  for (const line of file.content.split('\n')) {
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) at = s[1]!;
    else if (at === section && line.startsWith(`${key}=`)) out.push(line.slice(key.length + 1));
  }
  return out;
}

const base = model([entry('directory', '/var/log'), entry('directory', '/srv/data')]);
const salvaging = (timeoutMs = 30_000): Model => ({
  ...base,
  salvage: {
    enable: true,
    maxBytes: 1 << 20,
    keepBoots: 5,
    store: '/persist',
    timeoutMs,
    ignores: [],
  },
});
const CONFIG = '/persist/keepsake.yaml';

describe('salvage at shutdown, service mode', () => {
  it('runs salvage before release, never failing the stop, with time for it', () => {
    const out = buildService(salvaging(240_000), { bin: '/usr/bin/keepsake', configFile: CONFIG });
    const unit = out.files[0];
    assert.deepEqual(values(unit, 'Service', 'ExecStop'), [
      `-/usr/bin/keepsake salvage run --config ${CONFIG}`,
      `/usr/bin/keepsake release --config ${CONFIG}`,
    ]);
    assert.deepEqual(values(unit, 'Service', 'TimeoutStopSec'), ['300s']);
    assert.ok(values(unit, 'Unit', 'RequiresMountsFor').includes('/home'));
  });

  it('without salvage.enable, only release', () => {
    const unit = buildService(base, { bin: '/usr/bin/keepsake', configFile: CONFIG }).files[0];
    assert.deepEqual(values(unit, 'Service', 'ExecStop'), [
      `/usr/bin/keepsake release --config ${CONFIG}`,
    ]);
    assert.deepEqual(values(unit, 'Service', 'TimeoutStopSec'), ['90s']);
  });
});

describe('salvage at shutdown, compiled mode', () => {
  const NORMAL = { initrd: false, storeDevices: [] };
  it('a unit started after every bind, so stopped before any unmount', () => {
    const out = compileSystemd({ ...salvaging(), configFile: CONFIG }, NORMAL);
    const unit = out.files.find((f) => f.path === `system/${SALVAGE_UNIT}`);
    assert.deepEqual(values(unit, 'Unit', 'After'), [
      'keepsake.target',
      'srv-data.mount',
      'var-log.mount',
    ]);
    assert.deepEqual(values(unit, 'Service', 'ExecStop'), [
      `-/usr/local/bin/keepsake salvage run --config ${CONFIG}`,
    ]);
    assert.deepEqual(values(unit, 'Unit', 'Conflicts'), ['umount.target']);
    assert.ok(
      out.files.some(
        (f) => f.path === `system/keepsake.target.wants/${SALVAGE_UNIT}` && f.symlink !== undefined,
      ),
    );
  });

  it('none without salvage.enable, and none in the initrd', () => {
    const off = compileSystemd(base, NORMAL);
    assert.ok(!off.files.some((f) => f.path.includes(SALVAGE_UNIT)));
    const initrd = compileSystemd(salvaging(), { initrd: true, storeDevices: [] });
    assert.ok(!initrd.files.some((f) => f.path.includes(SALVAGE_UNIT)));
  });
});
