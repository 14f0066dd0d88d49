// Validates MapLibre style documents with the official style-spec
// validator. Usage: node validate-style.mjs STYLE.json... Prints every
// error and exits 1 when there is any.
import { readFileSync } from 'node:fs';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

let failed = 0;
for (const file of process.argv.slice(2)) {
  const style = JSON.parse(readFileSync(file, 'utf8'));
  const errors = validateStyleMin(style);
  for (const e of errors) {
    console.log(`${file}: ${e.message}`);
  }
  failed += errors.length;
  if (!errors.length) console.log(`${file}: valid (${style.layers.length} layers)`);
}
process.exit(failed ? 1 : 0);
