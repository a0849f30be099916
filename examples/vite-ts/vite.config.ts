import { defineConfig } from 'vite';

export default defineConfig({
  server: {
    // Forward the widget's session calls to a companion running locally (porthole-server).
    proxy: { '/porthole': { target: 'http://127.0.0.1:8787', rewrite: (path) => path.replace(/^\/porthole/, '') } },
  },
});
