import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declarePlan = (parent: Command) =>
  declared(
    parent,
    'plan',
    'show what apply would do, and what it would refuse (apply --dry-run)',
  ).option('--adopt', 'plan as apply --adopt would', false);

export type PlanOptions = RunOptions<typeof declarePlan>;
