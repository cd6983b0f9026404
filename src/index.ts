// keepsake as a library: the stages the CLI composes, and the types they exchange.

export { applyPlan, type Prepared, preparePlan, resolveRoot } from './apply/pipeline.js';
export { formatDiagnostic, loadConfig, loadConfigText, validateConfig } from './config/index.js';
export * from './errors.js';
export { applyHome, type HomeApplyResult } from './home/apply.js';
export { planHome } from './home/plan.js';
export { isManagedHomePath, managedHomeTargets } from './home/select.js';
export type { HomeAction, HomeGeneration, HomePlan } from './home/types.js';
export type { Observed } from './model/observed.js';
export type {
  Diagnostic,
  HomeFile,
  HomeFileSet,
  Model,
  PersistEntry,
} from './model/types.js';
export { observe } from './observe/observe.js';
export { buildPlan, type PlanOptions } from './plan/build.js';
export type { Generation } from './plan/generation.js';
export type { Action, Plan } from './plan/types.js';
export { createLiveSystem, createRecordingSystem, type SystemOps } from './system/system.js';
