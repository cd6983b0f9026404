// The demo's sample system: its configuration, accounts and the files "programs" write.

export const DEMO_CONFIG = `# keepsake demo configuration (impermanence's shape)
persistence:
  /persist:
    hideMounts: true
    ignore: [/etc/passwd, /etc/group]   # the demo's root image writes these at every boot
    directories:
      - /var/log
      - { directory: /var/lib/postgresql, user: postgres, group: postgres, mode: "0750" }
    files:
      - /etc/machine-id
    users:
      jane:
        directories: [Documents, { directory: .ssh, mode: "0700" }]
        files: [.bash_history]
`;

export interface DemoWrite {
  path: string;
  content: string;
  persisted: boolean;
}

export const DEMO_WRITES: DemoWrite[] = [
  { path: '/var/log/boot.log', content: 'boot 1: system started\n', persisted: true },
  { path: '/var/lib/postgresql/base.dat', content: 'rows that matter\n', persisted: true },
  { path: '/etc/machine-id', content: '5f1c0a7e9b2d4c6e8a0b1c2d3e4f5a6b\n', persisted: true },
  { path: '/home/jane/Documents/thesis.md', content: '# Chapter 1\n', persisted: true },
  { path: '/home/jane/.ssh/id_ed25519', content: 'PRIVATE KEY\n', persisted: true },
  { path: '/home/jane/.bash_history', content: 'ls -la\n', persisted: true },
  { path: '/home/jane/Downloads/cat.gif', content: 'GIF89a\n', persisted: false },
  { path: '/home/jane/.cache/thumbnails/x.png', content: 'PNG\n', persisted: false },
  { path: '/etc/motd', content: 'changed by hand\n', persisted: false },
  { path: '/tmp/scratch.txt', content: 'temporary\n', persisted: false },
];

/** Without root the demo runs in a user namespace where only uid 0 is mapped. */
export function demoAccounts(asRoot: boolean): { passwd: string; group: string } {
  const jane = asRoot ? 1000 : 0;
  const pg = asRoot ? 999 : 0;
  return {
    passwd: `root:x:0:0:root:/root:/bin/sh\njane:x:${jane}:${jane}:Jane:/home/jane:/bin/sh\npostgres:x:${pg}:${pg}::/var/lib/postgresql:/bin/sh\n`,
    group: `root:x:0:\njane:x:${jane}:\npostgres:x:${pg}:\n`,
  };
}
