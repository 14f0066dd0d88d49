// Builds the work screens before the browser tests when dist/ is missing
// or older than a source file, so `npm test` on a fresh clone tests the
// current code.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(ui, 'dist', 'index.html');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = Math.max(newest(join(ui, 'src')), ...['index.html', 'vite.config.js', 'package.json'].map((f) => statSync(join(ui, f)).mtimeMs));
if (!existsSync(built) || statSync(built).mtimeMs < sources) {
  console.log('building the work screens (npm run build)');
  execFileSync('npm', ['run', 'build'], { cwd: ui, stdio: 'inherit' });
}
