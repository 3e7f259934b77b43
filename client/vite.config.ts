// Vite build of the client app (contribute page now; dashboard and submit later). The
// coordinator serves client/dist; in development Vite proxies the API and the socket.io
// endpoint to a coordinator on :8080 so both run side by side.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const COORDINATOR = 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  // The volunteer worker imports socket.io-client and the shared estimators: module workers
  // let it share chunks with the page instead of bundling an IIFE copy.
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: {
      '/api': COORDINATOR,
      '/healthz': COORDINATOR,
      '/socket.io': { target: COORDINATOR, ws: true },
    },
  },
});
