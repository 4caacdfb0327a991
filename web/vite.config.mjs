// Builds the web app (Svelte, Chart.js) into dist/web, which `deepsift serve` serves at /.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [svelte()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npx vite --config web/vite.config.mjs` during development, with `deepsift serve` on 8080.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
