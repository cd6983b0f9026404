// SSH host keys on an impermanent root. Debian makes them in the package's maintainer script,
// which never runs on a volatile root; sshd-keygen units (Fedora, Arch) write each key to a
// temporary name and rename it into place, which fails over a bind-mounted file (EBUSY) and
// replaces a link instead of writing through it. So when the configuration persists host keys,
// keepsake adds a unit that makes the missing ones straight in the store, before the binds, and
// they are reused from then on.

import type { Model } from '../model/types.js';
import { unitWord } from './escape.js';
import type { CompiledFile } from './types.js';
import { each, unitFile, wantsLink } from './unit-file.js';

export const SSH_KEYS_UNIT = 'keepsake-ssh-host-keys.service';

const HOST_KEY = /^\/etc\/ssh\/ssh_host_(rsa|ecdsa|ed25519|dsa)_key$/;

export interface HostKey {
  type: string;
  /** The private key in the store; its `.pub` sits beside it. */
  store: string;
  storeRoot: string;
}

/** The host keys the configuration persists (private key files at their usual place). */
export function persistedHostKeys(model: Model): HostKey[] {
  return model.entries.flatMap((e) => {
    const type = e.kind === 'file' ? HOST_KEY.exec(e.target)?.[1] : undefined;
    return type === undefined ? [] : [{ type, store: e.store, storeRoot: e.storeRoot }];
  });
}

/**
 * `keepsake-ssh-host-keys.service` for `dir` (`''` for a unit directory, `system` for compile's
 * OUTDIR), started by `wantedBy` and finished before `before` (the unit that makes the binds)
 * and sshd; nothing when no host key is persisted. A key that exists and is not empty is never
 * touched (a missing public half is derived from it); an empty one (a placeholder of an
 * earlier boot) is made again.
 */
export function sshHostKeyUnit(
  model: Model,
  dir: string,
  opts: { before: string; wantedBy: string; header: string[] },
): CompiledFile[] {
  const keys = persistedHostKeys(model);
  if (keys.length === 0) return [];
  const word = (p: string) => unitWord(p, { command: false });
  const commands = keys.map((k) => {
    const q = shellQuote(k.store);
    const parent = shellQuote(k.store.slice(0, k.store.lastIndexOf('/')));
    const pub = `${q}.pub`;
    const script = `if [ ! -s ${q} ]; then mkdir -p ${parent} && rm -f ${q} ${pub} && ssh-keygen -q -t ${k.type} -N "" -C "" -f ${q}; elif [ ! -s ${pub} ]; then ssh-keygen -y -f ${q} > ${pub}; fi`;
    return `/bin/sh -c ${unitWord(script, { command: true })}`;
  });
  const base = dir === '' ? '' : `${dir}/`;
  const unit = unitFile(`${base}${SSH_KEYS_UNIT}`, opts.header, [
    {
      name: 'Unit',
      lines: [
        ['Description', 'keepsake: make missing SSH host keys in the store'],
        ['DefaultDependencies', 'no'],
        ...each('RequiresMountsFor', [...new Set(keys.map((k) => k.storeRoot))].map(word)),
        ['After', 'local-fs-pre.target'],
        ['Before', `${opts.before} ssh.service sshd.service`],
        ['ConditionFileIsExecutable', '/usr/bin/ssh-keygen'],
      ],
    },
    {
      name: 'Service',
      lines: [['Type', 'oneshot'], ['RemainAfterExit', 'yes'], ...each('ExecStart', commands)],
    },
  ]);
  return [unit, wantsLink(dir, opts.wantedBy, SSH_KEYS_UNIT)];
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
