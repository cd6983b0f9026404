// `keepsake schema`: the configuration's JSON Schema, for editors and other tools; with
// `--records`, the JSON Schema of every record `--json` prints. Both are JSON documents in
// their own right, printed as they are (not wrapped in a record), with or without --json.

import { renderJsonSchema } from '../../config/json-schema.js';
import type { SchemaOptions } from '../declare/schema.js';
import type { Output } from '../output.js';
import { recordTypes } from '../records.js';

export function run(opts: SchemaOptions, out: Output): number {
  if (opts.records) {
    const doc = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'keepsake --json records',
      records: recordTypes(),
    };
    out.product(JSON.stringify(doc, null, 2));
    return 0;
  }
  process.stdout.write(renderJsonSchema());
  return 0;
}
