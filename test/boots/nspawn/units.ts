// The test system's own units, as text. They live in the staged /usr/local/lib/systemd/system
// (on systemd's unit path) and are enabled statically with `.wants/` links, since the
// volatile /etc holds no enablement.

/** Where the staged test files appear inside the container. */
export const TEST_DIR = '/usr/local/lib/keepsake-test';
export const RESULTS = '/results';

/**
 * An empty /etc makes systemd preset-enable every service it finds in /usr (a database server
 * included); only the test's own links should start anything.
 */
export const PRESET = 'disable *\n';

/** The accounts of the test system: root, and a user with a home under /home. */
export const ACCOUNTS = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\njane:x:1000:1000:Jane:/home/jane:/bin/sh\n',
  group: 'root:x:0:\njane:x:1000:\n',
};

/**
 * A booted image brings its /etc/passwd; this container's /etc starts empty, so the accounts
 * are put in place before keepsake (or its compiled units) resolve user names.
 */
export const accountsUnit = (): string => `[Unit]
Description=Accounts of the test system
DefaultDependencies=no
Before=keepsake.service keepsake-prepare.service keepsake.target
Before=local-fs-pre.target systemd-sysusers.service systemd-tmpfiles-setup.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/cp ${TEST_DIR}/passwd /etc/passwd
ExecStart=/bin/cp ${TEST_DIR}/group /etc/group
`;

/**
 * The test step: runs as soon as local file systems are up (keepsake's work must be done by
 * then; no later unit can have helped).
 */
export const probeUnit = (node: string): string => `[Unit]
Description=keepsake boot test: probe
DefaultDependencies=no
After=local-fs.target
FailureAction=exit
FailureActionExitStatus=97

[Service]
Type=oneshot
ExecStart=${node} ${TEST_DIR}/probe.mjs ${TEST_DIR}/up.json ${RESULTS}/up.json
StandardError=journal+console
`;

/**
 * The last step: once the boot has finished (its process waits for that; the unit's own job is
 * done when it is started, so it does not hold the boot up), it records how the boot ended,
 * then powers the container off cleanly, so shutdown is part of every boot.
 */
export const finalUnit = (node: string): string => `[Unit]
Description=keepsake boot test: how the boot ended
DefaultDependencies=no
After=keepsake-test-probe.service
SuccessAction=exit
FailureAction=exit
FailureActionExitStatus=98

[Service]
Type=simple
ExecStart=${node} ${TEST_DIR}/probe.mjs ${TEST_DIR}/final.json ${RESULTS}/final.json
StandardError=journal+console
`;

/**
 * Started before keepsake and stopped after it (and after the given mount units) at shutdown:
 * its stop records what is still mounted once keepsake's part of the shutdown is done, and the
 * journal up to then.
 */
export const shutdownUnit = (node: string, after: readonly string[]): string => `[Unit]
Description=keepsake boot test: shutdown probe
DefaultDependencies=no
RequiresMountsFor=${RESULTS} /usr/local
Conflicts=shutdown.target
Before=shutdown.target keepsake.service keepsake.target
${after.map((u) => `Before=${u}\n`).join('')}
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=${node} ${TEST_DIR}/probe.mjs ${TEST_DIR}/down.json ${RESULTS}/down.json
`;

/**
 * Writes into targets before keepsake's units run, as a program or an administrator could:
 * the staged tree `occupy/` is copied onto the root.
 */
export const occupyUnit = (): string => `[Unit]
Description=keepsake boot test: data at a target before keepsake
DefaultDependencies=no
After=keepsake-test-accounts.service
Before=keepsake.service keepsake-prepare.service keepsake.target local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/cp -a ${TEST_DIR}/occupy/. /
`;

/**
 * A tmpfs home, as an fstab line `tmpfs /home tmpfs mode=0755 0 0` makes it: mounted by
 * systemd during the boot, like any local file system, not before PID 1 starts.
 */
export const tmpfsHomeUnit = (): string => `[Unit]
Description=Home directories on a tmpfs
Before=local-fs.target

[Mount]
What=tmpfs
Where=/home
Type=tmpfs
Options=mode=0755
`;
