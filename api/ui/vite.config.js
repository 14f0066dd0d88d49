// Vite builds the work screens into dist/, served by citygrid at /app/
// (api/ui/ui.go). `npm run dev` serves them with hot reload and sends the
// API, tiles, styles and fonts to a running citygrid (CITYGRID_URL).
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const target = process.env.CITYGRID_URL || 'http://127.0.0.1:8080';
const proxied = ['/api', '/tiles', '/styles', '/fonts', '/open311', '/web', '/command'];

export default defineConfig({
  base: '/app/',
  plugins: [vue()],
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
