// What services and people keep, as data: the presets `keepsake init` proposes from. Each
// preset names its paths and says why they matter; `init` proposes a path only where it
// exists on the machine, and leaves the rest of the preset as commented lines. To teach init
// about another service, add a preset here: nothing else needs to change.

export type PresetKind = 'directory' | 'file';

export interface PresetPath {
  /** Absolute for system presets; relative to the home for home presets. */
  path: string;
  kind: PresetKind;
  /** Why this path in particular (shown as a comment), when the preset's reason is not enough. */
  why?: string;
  /**
   * `symlink` where a bind mount breaks the program: a file that it replaces by rename
   * (rename(2) onto a mount point fails with EBUSY), or a directory it swaps whole.
   */
  method?: 'symlink';
  /** A mode for the stored copy, when the default would expose secrets (e.g. "0700"). */
  mode?: string;
}

export interface Preset {
  id: string;
  title: string;
  why: string;
  paths: PresetPath[];
}

const dir = (path: string, extra: Omit<PresetPath, 'path' | 'kind'> = {}): PresetPath => ({
  path,
  kind: 'directory',
  ...extra,
});
const file = (path: string, extra: Omit<PresetPath, 'path' | 'kind'> = {}): PresetPath => ({
  path,
  kind: 'file',
  ...extra,
});

/** State of the system, outside any home. */
export const SYSTEM_PRESETS: readonly Preset[] = [
  {
    id: 'identity',
    title: 'machine identity',
    why: 'the journal, DHCP leases and licences are keyed by the machine id; clients pin the SSH host keys',
    paths: [
      file('/etc/machine-id'),
      file('/etc/ssh/ssh_host_ed25519_key'),
      file('/etc/ssh/ssh_host_ed25519_key.pub'),
      file('/etc/ssh/ssh_host_rsa_key'),
      file('/etc/ssh/ssh_host_rsa_key.pub'),
      file('/etc/ssh/ssh_host_ecdsa_key'),
      file('/etc/ssh/ssh_host_ecdsa_key.pub'),
    ],
  },
  {
    id: 'accounts',
    title: 'accounts',
    why: 'users and groups added after the image was made (useradd, package scripts) live only here',
    paths: [
      file('/etc/passwd'),
      file('/etc/group'),
      file('/etc/shadow', { why: 'password hashes' }),
      file('/etc/gshadow'),
      file('/etc/subuid', { why: 'rootless containers' }),
      file('/etc/subgid'),
    ],
  },
  {
    id: 'systemd',
    title: "systemd's own state",
    why: 'persistent timers, the random seed, coredumps and (when wanted) the journal',
    paths: [
      dir('/var/lib/systemd/timers', { why: 'Persistent=yes timers remember their last run' }),
      file('/var/lib/systemd/random-seed', { why: 'entropy carried across boots' }),
      dir('/var/lib/systemd/coredump'),
      dir('/var/log/journal', { why: 'the journal of earlier boots (journalctl -b -1)' }),
      dir('/var/lib/systemd/backlight'),
      dir('/var/lib/systemd/rfkill'),
    ],
  },
  { id: 'logs', title: 'logs', why: 'logs of earlier boots', paths: [dir('/var/log')] },
  {
    id: 'networkmanager',
    title: 'NetworkManager',
    why: 'saved connections and Wi-Fi passwords, and the leases and state beside them',
    paths: [
      dir('/etc/NetworkManager/system-connections', { mode: '0700' }),
      dir('/var/lib/NetworkManager'),
    ],
  },
  {
    id: 'iwd',
    title: 'iwd',
    why: 'known Wi-Fi networks',
    paths: [dir('/var/lib/iwd', { mode: '0700' })],
  },
  {
    id: 'bluetooth',
    title: 'bluetooth',
    why: 'paired devices and their keys',
    paths: [dir('/var/lib/bluetooth', { mode: '0700' })],
  },
  {
    id: 'docker',
    title: 'docker',
    why: 'images, containers and volumes',
    paths: [dir('/var/lib/docker', { mode: '0710' })],
  },
  {
    id: 'podman',
    title: 'podman',
    why: "root's images, containers and volumes",
    paths: [dir('/var/lib/containers')],
  },
  {
    id: 'libvirt',
    title: 'libvirt',
    why: 'virtual machine definitions and disk images',
    paths: [dir('/var/lib/libvirt'), dir('/etc/libvirt')],
  },
  {
    id: 'postgresql',
    title: 'PostgreSQL',
    why: 'the databases',
    paths: [dir('/var/lib/postgresql'), dir('/etc/postgresql')],
  },
  {
    id: 'mysql',
    title: 'MySQL / MariaDB',
    why: 'the databases',
    paths: [dir('/var/lib/mysql')],
  },
  {
    id: 'cups',
    title: 'CUPS',
    why: 'printers set up by hand',
    paths: [dir('/etc/cups'), dir('/var/lib/cups')],
  },
  {
    id: 'nixos',
    title: 'NixOS',
    why: 'the uid and gid map NixOS keeps so that ids stay stable across rebuilds',
    paths: [dir('/var/lib/nixos')],
  },
  {
    id: 'debian',
    title: 'Debian and Ubuntu packages',
    why: 'the package database; packages installed after the image was made are known only here',
    paths: [dir('/var/lib/dpkg'), dir('/var/lib/apt'), dir('/etc/apt')],
  },
  {
    id: 'fedora',
    title: 'Fedora packages',
    why: 'the package database; packages installed after the image was made are known only here',
    paths: [dir('/var/lib/rpm'), dir('/var/lib/dnf'), dir('/etc/yum.repos.d')],
  },
  {
    id: 'arch',
    title: 'Arch Linux packages',
    why: 'the package database; packages installed after the image was made are known only here',
    paths: [dir('/var/lib/pacman'), file('/etc/pacman.conf')],
  },
  {
    id: 'fwupd',
    title: 'fwupd',
    why: 'firmware update history',
    paths: [dir('/var/lib/fwupd')],
  },
  {
    id: 'tailscale',
    title: 'tailscale',
    why: "the node's key: without it the machine joins the tailnet as a new node",
    paths: [dir('/var/lib/tailscale', { mode: '0700' })],
  },
];

/** State in each user's home, relative to it. */
export const HOME_PRESETS: readonly Preset[] = [
  {
    id: 'keys',
    title: 'keys',
    why: 'SSH and GnuPG keys, and the desktop keyring',
    paths: [
      dir('.ssh', { mode: '0700' }),
      dir('.gnupg', { mode: '0700' }),
      dir('.local/share/keyrings', { mode: '0700' }),
    ],
  },
  {
    id: 'history',
    title: 'shell history',
    why: 'what was typed',
    paths: [
      file('.bash_history'),
      file('.zsh_history'),
      file('.local/share/fish/fish_history', {
        method: 'symlink',
        why: 'fish rewrites its history by rename, which fails with EBUSY on a bind-mounted file',
      }),
    ],
  },
  {
    id: 'browsers',
    title: 'browser profiles',
    why: 'bookmarks, passwords, sessions and extensions',
    paths: [
      dir('.mozilla'),
      dir('.config/chromium'),
      dir('.config/google-chrome'),
      dir('.config/BraveSoftware'),
    ],
  },
  {
    id: 'xdg',
    title: 'XDG user directories',
    why: "the user's own files",
    paths: [
      dir('Documents'),
      dir('Downloads'),
      dir('Music'),
      dir('Pictures'),
      dir('Videos'),
      dir('Desktop'),
      dir('Projects'),
    ],
  },
];
