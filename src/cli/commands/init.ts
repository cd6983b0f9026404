import { readFileSync } from 'node:fs';
import { resolveRoot } from '../../apply/pipeline.js';
import { parseGroup, parsePasswd } from '../../config/accounts.js';
import { pathsToProbe, renderInit } from '../../init/render.js';
import { probePaths } from '../../observe/presence.js';
import { writeNewFile } from '../../system/new-file.js';
import type { InitOptions } from '../declare/init.js';
import type { Output } from '../output.js';

const readOr = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

export function run(opts: InitOptions, out: Output): number {
  const root = resolveRoot(opts.root);
  const at = (p: string) => (root === '/' ? p : `${root}${p}`);
  const accounts = parsePasswd(readOr(at('/etc/passwd')));
  const groups = parseGroup(readOr(at('/etc/group')));
  // People: accounts in the range useradd gives them, whose home exists at the root.
  const candidates = accounts.filter(
    (u) => u.uid >= 1000 && u.uid < 60000 && u.home.startsWith('/'),
  );
  const homes = probePaths(
    root,
    candidates.map((u) => u.home),
  );
  const users = candidates
    .filter((u) => homes.get(u.home)?.type === 'directory')
    .map((u) => ({ name: u.name, home: u.home }));
  const text = renderInit({
    root,
    store: opts.store ?? '/persist',
    found: probePaths(root, pathsToProbe(users)),
    users,
    userName: (uid) => accounts.find((u) => u.uid === uid)?.name,
    groupName: (gid) => groups.find((g) => g.gid === gid)?.name,
  });
  if (opts.output === undefined) {
    if (out.json) out.record('init', { config: text });
    // The configuration is what init was asked for: printed even with --quiet.
    else out.product(text.replace(/\n$/, ''));
    return 0;
  }
  writeNewFile(opts.output, text);
  if (out.json) out.record('init', { config: text, output: opts.output });
  else
    out.note(`wrote ${opts.output}; review it, then run: keepsake check --config ${opts.output}`);
  return 0;
}
