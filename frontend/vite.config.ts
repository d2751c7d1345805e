import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The build goes to dist/, which the Go binary embeds. No inline script
// anywhere (the portal's Content-Security-Policy forbids it).
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      "/graphql": { target: "http://127.0.0.1:8080", ws: true },
      "/auth": "http://127.0.0.1:8080",
      "/status-api": "http://127.0.0.1:8080",
    },
  },
});
