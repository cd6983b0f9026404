import type { Command } from '@commander-js/extra-typings';
import { type RunOptions, withCommon } from './common.js';

export const declarePlan = (parent: Command) =>
  withCommon(
    parent
      .command('plan')
      .description('show what apply would do, and what it would refuse (apply --dry-run)'),
  ).option('--adopt', 'plan as apply --adopt would', false);

export type PlanOptions = RunOptions<typeof declarePlan>;
