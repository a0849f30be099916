import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  server: {
    // Forward the widget's session calls to a companion running locally (porthole-server).
    proxy: { '/porthole': { target: 'http://127.0.0.1:8787', rewrite: (path) => path.replace(/^\/porthole/, '') } },
  },
});
