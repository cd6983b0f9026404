import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareSchema = (parent: Command) =>
  declared(
    parent,
    'schema',
    'print the JSON Schema of the configuration file (--records: of the --json records)',
  ).option('--records', 'print the JSON Schema of every record --json prints instead', false);

export type SchemaOptions = RunOptions<typeof declareSchema>;
