// Where `keepsake add` and `keepsake ignore` write when no --store is named: the only system
// location, never a user's own storage directory (Home Manager's classic layout).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { onlyLocation } from '../../src/apply/add.js';
import { loadConfigText } from '../../src/config/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-add-location-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
fs.mkdirSync(`${root}/etc`);
fs.writeFileSync(
  `${root}/etc/passwd`,
  'root:x:0:0::/root:/bin/sh\njane:x:1000:1000::/home/jane:/bin/sh\n',
);
fs.writeFileSync(`${root}/etc/group`, 'root:x:0:\njane:x:1000:\n');
const load = (text: string) =>
  loadConfigText(text, `${root}/keepsake.yaml`, { root, format: 'yaml' });

const withHomeManager = `persistence:
  /persist:
    directories: [/var/log]
users:
  jane:
    persistence:
      /persist/home/jane:
        directories: [.mozilla]
`;

describe('the default location of add and ignore', () => {
  it("is the only system location, with a user's own storage directory beside it", () => {
    assert.equal(onlyLocation(load(withHomeManager)), '/persist');
  });

  it('names a location that exists when it must ask', () => {
    const two = load(
      `${withHomeManager.replace('/var/log]', '/var/log]\n  /data:\n    directories: [/srv]')}`,
    );
    assert.throws(
      () => onlyLocation(two),
      (e: Error & { hint?: string }) =>
        /2 storage locations \(\/data, \/persist\)/.test(e.message) &&
        e.hint === 'name one with --store, e.g. --store /data',
    );
  });
});
