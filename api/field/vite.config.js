// Vite builds 城管通 into dist/, served by citygrid at /field/ (api/field).
// The service worker (src/sw.js) is built as its own file, sw.js at the
// app's root, with the list of every file of this build written into it:
// the app shell is precached at install, so the app starts with the
// network off. `npm run dev` sends the API, tiles, styles and fonts to a
// running citygrid (CITYGRID_URL).
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const target = process.env.CITYGRID_URL || 'http://127.0.0.1:8080';
const proxied = ['/api', '/tiles', '/styles', '/fonts', '/open311'];

// serviceWorker emits sw.js with the build's files and a version that
// changes with them, so a new build replaces the old cache.
function serviceWorker() {
  return {
    name: 'citygrid-field-sw',
    apply: 'build',
    generateBundle(_, bundle) {
      const files = Object.keys(bundle).filter((f) => !f.endsWith('.map')).sort();
      const shell = ['./', 'index.html', 'manifest.webmanifest', 'icon.svg', ...files.filter((f) => f !== 'index.html')];
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      const src = readFileSync(new URL('./src/sw.js', import.meta.url), 'utf8')
        .replace('__SHELL__', JSON.stringify(shell))
        .replace('__VERSION__', version);
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: src });
    },
  };
}

// noCDN drops the remote fallbacks of Vant's icon font (at.alicdn.com):
// the inline woff2 is what browsers use, and citygrid serves everything
// itself.
const ALICDN = /,\s*url\(["']?(?:https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\(["'][a-z0-9-]+["']\)/g;

function noCDN() {
  return {
    name: 'citygrid-field-no-cdn',
    enforce: 'post',
    transform(code, id) {
      if (!id.includes('vant') || !id.endsWith('.css')) return null;
      return code.replace(ALICDN, '');
    },
    generateBundle(_, bundle) {
      for (const f of Object.values(bundle)) {
        if (f.type === 'asset' && f.fileName.endsWith('.css')) {
          f.source = String(f.source).replace(ALICDN, '');
        }
      }
    },
  };
}

export default defineConfig({
  base: '/field/',
  plugins: [vue(), noCDN(), serviceWorker()],
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    target: 'es2022',
  },
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target, changeOrigin: false }])),
  },
});
