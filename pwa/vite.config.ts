import { writeFileSync } from 'node:fs';
import { precompress } from './scripts/precompress.mjs';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'safari16', sourcemap: false, assetsInlineLimit: 0 },
  server: {
    // `npm run dev` talks to a local `tsunagu serve`.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  plugins: [
    {
      // vite empties dist/; the committed placeholder keeps pwa/embed.go compiling.
      name: 'keep-dist-placeholder',
      closeBundle() {
        writeFileSync(new URL('./dist/.keep', import.meta.url), '');
      },
    },
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false, // main.tsx registers /sw.js itself
      manifestFilename: 'manifest.webmanifest',
      includeManifestIcons: false, // globPatterns already lists them
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png}'], // the plugin adds the manifest itself
        rollupFormat: 'iife',
      },
      manifest: {
        id: '/',
        name: 'つなぐ Tsunagu',
        short_name: 'つなぐ',
        description: '在宅医療の多職種連携 — 記録とカレンダーをチームで共有',
        lang: 'ja',
        dir: 'ltr',
        start_url: '/#/today',
        scope: '/',
        display: 'standalone',
        orientation: 'any',
        theme_color: '#0b6e69',
        background_color: '#f6f7f7',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/apple-touch-icon-180.png', sizes: '180x180', type: 'image/png' },
        ],
      },
    }),
    {
      // Brotli and gzip copies next to each text file (name.br, name.gz), after the
      // service worker is built; the server picks one by Accept-Encoding
      // (internal/app/static.go). Not in the precache list (globPatterns).
      name: 'precompress',
      apply: 'build',
      closeBundle: {
        order: 'post',
        sequential: true,
        handler() {
          precompress(new URL('./dist/', import.meta.url).pathname);
        },
      },
    },
  ],
});
