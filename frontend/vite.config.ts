import { sveltekit } from "@sveltejs/kit/vite";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vitest/config";

declare const process: { env: Record<string, string | undefined> };

// `npm run dev` talks to a platform started by `make run` (edge on :8090) through this proxy.
const edge = process.env.ONECLICK_EDGE_URL ?? "http://127.0.0.1:8090";

export default defineConfig({
  plugins: [tailwindcss(), sveltekit()],
  server: {
    proxy: {
      "/api": edge,
      "/pb": edge,
      "/ws": { target: edge.replace(/^http/, "ws"), ws: true }
    }
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node"
  }
});
