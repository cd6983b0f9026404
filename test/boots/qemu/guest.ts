// What the booted system carries besides Debian and keepsake. The root is volatile
// (`systemd.volatile=yes`): every boot starts with an empty /etc, so all of this lives in /usr.
// A probe unit runs once the system is up, reports on ttyS1 (one `KSTEST key value` line per
// fact) and powers the machine off in order, so that shutdown is part of every boot.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The unit directory for locally installed units, seen from `<root>/usr`. */
export const LOCAL_UNITS = 'local/lib/systemd/system';

/** A persisted directory and file, and places nothing declares: the probe writes to all. */
export const PROBE_PATHS = {
  dir: '/var/lib/kstest',
  file: '/etc/kstest.note',
  undeclaredDir: '/var/lib/kstest-undeclared',
  undeclaredFile: '/etc/kstest-undeclared.note',
};

const SSH_KEY_TYPES = ['ed25519', 'ecdsa', 'rsa'] as const;
export const SSH_HOST_KEYS = SSH_KEY_TYPES.flatMap((t) => [
  `/etc/ssh/ssh_host_${t}_key`,
  `/etc/ssh/ssh_host_${t}_key.pub`,
]);

/** Units whose state the probe reports. */
const WATCHED_UNITS = [
  'persist.mount',
  'sysroot-persist.mount',
  'keepsake.service',
  'keepsake-prepare.service',
  'keepsake.target',
  'keepsake-ssh-host-keys.service',
  'ssh.service',
  'systemd-machine-id-commit.service',
  'systemd-tmpfiles-setup.service',
  'systemd-sysusers.service',
];

const PROBE = `#!/bin/sh
# keepsake boot probe: facts about this boot, one "KSTEST key value" line each, on ttyS1.
exec 3>/dev/ttyS1
say() { printf 'KSTEST %s %s\\n' "$1" "$2" >&3; }
each() { key=$1; shift; "$@" 2>&1 | while IFS= read -r line; do say "$key" "$line"; done; }
kind() { if [ -L "$1" ]; then echo "symlink->$(readlink "$1")"; elif [ -e "$1" ]; then stat -c %F "$1"; else echo missing; fi; }

say boot_id "$(cat /proc/sys/kernel/random/boot_id)"
say uptime "$(cut -d' ' -f1 /proc/uptime)"

# machine-id: what PID 1 settled on, where it comes from, and the journal's view of it
say machine_id "$(cat /etc/machine-id 2>&1)"
say machine_id_kind "$(kind /etc/machine-id)"
each machine_id_mount findmnt -n -o SOURCE,FSTYPE /etc/machine-id
each journal_dir ls /run/log/journal /var/log/journal
each list_boots journalctl --list-boots --no-pager

# mounts and units
each mount findmnt -rn -o TARGET,SOURCE,FSTYPE,PROPAGATION
for u in ${WATCHED_UNITS.join(' ')}; do
  say unit "$u $(systemctl show -P LoadState "$u") $(systemctl show -P ActiveState "$u") $(systemctl show -P Result "$u")"
done
each failed systemctl list-units --failed --plain --no-legend
each journal journalctl -b --no-pager -o short-monotonic -u 'keepsake*' -u 'sysroot-*' -u 'persist.mount' -u keepsake-ssh-host-keys.service -u ssh.service -u systemd-machine-id-commit.service

# persisted data: report what an earlier boot left, then leave something for the next
d=${PROBE_PATHS.dir} f=${PROBE_PATHS.file}
say data_dir_kind "$(kind "$d")"
say data_file_kind "$(kind "$f")"
each data_dir_mount findmnt -n -o SOURCE,FSTYPE "$d"
each data_file_mount findmnt -n -o SOURCE,FSTYPE "$f"
[ -f "$d/boots" ] && each seen cat "$d/boots"
[ -f "$f" ] && each note cat "$f"
ud=${PROBE_PATHS.undeclaredDir} uf=${PROBE_PATHS.undeclaredFile}
[ -e "$ud/marker" ] && say undeclared_left "$ud/marker"
[ -e "$uf" ] && say undeclared_left "$uf"
cat /proc/sys/kernel/random/boot_id >>"$d/boots" || say write_failed "$d/boots"
echo "written in $(cat /proc/sys/kernel/random/boot_id)" >>"$f" || say write_failed "$f"
mkdir -p "$ud" && echo gone >"$ud/marker" && echo gone >"$uf" || say write_failed undeclared
sync

# SSH: the host keys on disk, and the one sshd serves
for t in ${SSH_KEY_TYPES.join(' ')}; do
  k=/etc/ssh/ssh_host_\${t}_key
  say ssh_key_kind "$t $(kind "$k")"
  [ -s "$k.pub" ] && say ssh_fingerprint "$t $(ssh-keygen -lf "$k.pub" | cut -d' ' -f2)"
done
each ssh_served sh -c 'ssh-keyscan -T 10 -t ed25519 127.0.0.1 2>/dev/null | ssh-keygen -lf - | cut -d" " -f2'

say done ok
`;

const PROBE_UNIT = `[Unit]
Description=keepsake boot probe (reports this boot, then powers off)
After=multi-user.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/usr/local/lib/kstest/probe.sh
TimeoutStartSec=90
`;

/** Writes a file that must not exist yet: the staged tree shares its files with the cache. */
export function writeNew(file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { flag: 'wx', mode });
}

/** A static `.wants` link (enablement in /etc would not survive the volatile root). */
export function want(unitDir: string, target: string, unit: string): void {
  const dir = path.join(unitDir, `${target}.wants`);
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(`../${unit}`, path.join(dir, unit));
}

/**
 * Installs into `<root>/usr` (`usr`, a staged copy of the image's /usr; `etc`, the image's /etc)
 * what every test boot needs: the probe, sshd's user and configuration (sshd itself is enabled by
 * `installSsh`), and a preset that enables nothing, so the first-boot preset run starts only what
 * the tests ask for.
 */
export function installGuestBase(usr: string, etc: string): void {
  const units = path.join(usr, LOCAL_UNITS);
  writeNew(path.join(usr, 'local/lib/kstest/probe.sh'), PROBE, 0o755);
  writeNew(path.join(units, 'kstest-probe.service'), PROBE_UNIT);
  want(units, 'multi-user.target', 'kstest-probe.service');
  writeNew(path.join(usr, 'lib/systemd/system-preset/00-kstest.preset'), 'disable *\n');
  // sshd needs its privilege separation user and its configuration; the package's postinst,
  // which would create them in /etc, has no effect on a volatile root.
  writeNew(
    path.join(usr, 'lib/sysusers.d/kstest-sshd.conf'),
    'u sshd - "sshd privilege separation" /run/sshd /usr/sbin/nologin\n',
  );
  const factory = path.join(usr, 'share/factory/etc/ssh');
  for (const f of ['sshd_config', 'moduli']) {
    writeNew(path.join(factory, f), fs.readFileSync(path.join(etc, 'ssh', f), 'utf8'));
  }
  writeNew(
    path.join(usr, 'lib/tmpfiles.d/kstest-sshd.conf'),
    ['sshd_config', 'moduli']
      .map((f) => `C /etc/ssh/${f} - - - - /usr/share/factory/etc/ssh/${f}\n`)
      .join(''),
  );
}

/** sshd, enabled. Its host keys are keepsake's: install-service adds the unit that makes
 *  missing ones in the store when the configuration persists them. */
export function installSsh(usr: string): void {
  want(path.join(usr, LOCAL_UNITS), 'multi-user.target', 'ssh.service');
}

/** Parsed probe output: key → values in the order printed. */
export type Probe = Map<string, string[]>;

export function parseProbe(text: string): Probe {
  const probe: Probe = new Map();
  for (const raw of text.split('\n')) {
    const m = raw.replace(/\r$/, '').match(/^KSTEST (\S+)(?: (.*))?$/);
    if (!m) continue;
    const values = probe.get(m[1]!) ?? [];
    values.push(m[2] ?? '');
    probe.set(m[1]!, values);
  }
  return probe;
}
