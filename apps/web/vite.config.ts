import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Where `npm run dev:web` proxies the API (the local stack started by `npm start`). */
const apiTarget = process.env.CHAT_API ?? 'http://localhost:8080';
const proxied = ['/auth', '/files', '/channels', '/messages', '/dms', '/search', '/users'];

export default defineConfig({
  root: here('.'),
  publicDir: here('./public'),
  resolve: {
    // Exactly the browser-safe entry: '@chat/contracts/dto' (server decorators) must not resolve.
    alias: [{ find: /^@chat\/contracts$/, replacement: here('../../libs/contracts/src/index.ts') }],
  },
  // JSX through esbuild's automatic runtime: no React plugin needed (fast refresh is the only loss).
  esbuild: { jsx: 'automatic', jsxImportSource: 'react' },
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
