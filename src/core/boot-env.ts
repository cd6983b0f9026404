// The environment variable keepsake.service sets for its apply (compile/service.ts): the apply
// runs at boot, before local-fs.target, and leaves out what only later runs need (planning
// again after acting, to keep the settled record: cli/commands/apply.ts).
export const BOOT_ENV = 'KEEPSAKE_BOOT';
