// SSH host keys on an impermanent root. Debian makes them in the package's maintainer script,
// which never runs on a volatile root; sshd-keygen units (Fedora, Arch) write each key to a
// temporary name and rename it into place, which fails over a bind-mounted file (EBUSY) and
// replaces a link instead of writing through it. So when the configuration persists host keys,
// keepsake adds a unit that makes the missing ones straight in the store, before the binds, and
// they are reused from then on.

import { singleQuoted } from '../core/display.js';
import type { Model, PersistEntry } from '../model/types.js';
import { storesMountedCommand } from './checks.js';
import { unitWord } from './escape.js';
import type { CompiledFile } from './types.js';
import { each, unitFile, wantsLink } from './unit-file.js';

export const SSH_KEYS_UNIT = 'keepsake-ssh-host-keys.service';

const HOST_KEY = /^\/etc\/ssh\/ssh_host_(rsa|ecdsa|ed25519|dsa)_key$/;
/** A private key or its public half. */
const HOST_KEY_FILE = /^\/etc\/ssh\/ssh_host_(rsa|ecdsa|ed25519|dsa)_key(\.pub)?$/;

export interface HostKey {
  type: string;
  /** The private key in the store; its `.pub` sits beside it. */
  store: string;
  storeRoot: string;
}

/** A host key entry: never created empty, and bound only when the stored key is not empty. */
export function isHostKey(e: PersistEntry): boolean {
  return e.kind === 'file' && HOST_KEY_FILE.test(e.target);
}

/** The host keys the configuration persists (private key files at their usual place). */
export function persistedHostKeys(model: Model): HostKey[] {
  return model.entries.flatMap((e) => {
    const type = e.kind === 'file' ? HOST_KEY.exec(e.target)?.[1] : undefined;
    return type === undefined ? [] : [{ type, store: e.store, storeRoot: e.storeRoot }];
  });
}

export interface HostKeyUnitOptions {
  /** Units that must have succeeded first (compiled mode: the prepare service, which finds
   *  the store mounted). Without them, the unit checks that the stores are mounted itself. */
  requires: string[];
  /** Units that make the binds of the keys, started after this one. */
  before: string[];
  wantedBy: string;
  header: string[];
}

/**
 * `keepsake-ssh-host-keys.service` for `dir` (`''` for a unit directory, `system` for compile's
 * OUTDIR), started by `wantedBy` and finished before `before` and sshd; nothing when no host
 * key is persisted. Keys are made only in a store that is a mounted file system: on a volatile
 * root a store that is not mounted is memory, and keys made there change at every boot. A key
 * that exists and is not empty is never touched (a missing public half is derived from it); an
 * empty one is made again.
 */
export function sshHostKeyUnit(
  model: Model,
  dir: string,
  opts: HostKeyUnitOptions,
): CompiledFile[] {
  const keys = persistedHostKeys(model);
  if (keys.length === 0) return [];
  const roots = [...new Set(keys.map((k) => k.storeRoot))];
  const word = (p: string) => unitWord(p, { command: false });
  const commands = keys.map((k) => {
    const q = singleQuoted(k.store);
    const parent = singleQuoted(k.store.slice(0, k.store.lastIndexOf('/')));
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
        ...each('RequiresMountsFor', roots.map(word)),
        ...each('Requires', opts.requires),
        ['After', ['local-fs-pre.target', ...opts.requires].join(' ')],
        ['Before', [...opts.before, 'ssh.service', 'sshd.service'].join(' ')],
        ['ConditionFileIsExecutable', '/usr/bin/ssh-keygen'],
      ],
    },
    {
      name: 'Service',
      lines: [
        ['Type', 'oneshot'],
        ['RemainAfterExit', 'yes'],
        ...(opts.requires.length === 0
          ? [
              [
                'ExecStartPre',
                storesMountedCommand(roots, '/', `systemctl restart ${SSH_KEYS_UNIT}`),
              ] as const,
            ]
          : []),
        ...each('ExecStart', commands),
      ],
    },
  ]);
  return [unit, wantsLink(dir, opts.wantedBy, SSH_KEYS_UNIT)];
}
