// `keepsake schema`: the configuration's JSON Schema, for editors and other tools.

import { renderJsonSchema } from '../../config/json-schema.js';

export function run(): number {
  process.stdout.write(renderJsonSchema());
  return 0;
}
