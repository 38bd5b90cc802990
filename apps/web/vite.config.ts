import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { defineConfig, type Plugin } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Where `npm run dev:web` proxies the API (the local stack started by `npm start`). */
const apiTarget = process.env.CHAT_API ?? 'http://localhost:8080';
const proxied = ['/auth', '/files', '/channels', '/messages', '/dms', '/search', '/users', '/push', '/hooks'];

/** Files of public/ the installed app needs offline (the build's own entry files are added). */
const SHELL_PUBLIC = [
  '/favicon.svg',
  '/manifest.webmanifest',
  '/icons/icon-192.png',
  '/icons/badge-72.png',
  '/icons/apple-touch-icon.png',
];

/**
 * Builds the service worker (src/sw/service-worker.ts) into /sw.js: one classic script at the
 * root, so its scope is the whole app, with the app shell it precaches — index.html, the entry
 * script and stylesheet of this build, and SHELL_PUBLIC — and a version that changes whenever any
 * of them does (a new build then installs afresh and drops the old cache). Lazy chunks are cached
 * when first fetched instead.
 */
function serviceWorker(): Plugin {
  return {
    name: 'chat-service-worker',
    apply: 'build',
    enforce: 'post',
    async generateBundle(_options, bundle) {
      const files = Object.values(bundle);
      const built = files
        .filter((f) => (f.type === 'chunk' ? f.isEntry : f.fileName.endsWith('.css')))
        .map((f) => `/${f.fileName}`);
      const hash = createHash('sha256');
      for (const f of files) {
        if (f.fileName.endsWith('.map')) continue;
        hash.update(f.fileName).update(f.type === 'chunk' ? f.code : f.source);
      }
      for (const p of SHELL_PUBLIC) hash.update(p).update(readFileSync(here(`./public${p}`)));
      const out = await esbuild({
        entryPoints: [here('./src/sw/service-worker.ts')],
        tsconfig: here('./src/sw/tsconfig.json'),
        bundle: true,
        write: false,
        format: 'iife',
        target: 'es2022',
        minify: true,
        legalComments: 'none',
        define: {
          __SHELL__: JSON.stringify(['/', ...built, ...SHELL_PUBLIC]),
          __VERSION__: JSON.stringify(hash.digest('hex').slice(0, 16)),
        },
      });
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: out.outputFiles[0].text });
    },
  };
}

export default defineConfig({
  root: here('.'),
  publicDir: here('./public'),
  resolve: {
    // Exactly the browser-safe entry: '@chat/contracts/dto' (server decorators) must not resolve.
    alias: [{ find: /^@chat\/contracts$/, replacement: here('../../libs/contracts/src/index.ts') }],
  },
  // JSX through esbuild's automatic runtime: no React plugin needed (fast refresh is the only loss).
  esbuild: { jsx: 'automatic', jsxImportSource: 'react' },
  plugins: [serviceWorker()],
  build: {
    outDir: here('../../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // One CSS file, loaded by <link>: the CSP (style-src 'self') forbids injected <style> tags.
    cssCodeSplit: false,
  },
  server: {
    port: 5173,
    proxy: {
      ...Object.fromEntries(proxied.map((p) => [p, { target: apiTarget, changeOrigin: false }])),
      '/socket.io': { target: apiTarget, ws: true },
    },
  },
});
