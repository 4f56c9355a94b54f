import adapter from "@sveltejs/adapter-static";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: the edge serves index.html for every path that is no API route or file.
    adapter: adapter({ pages: "build", assets: "build", fallback: "index.html", precompress: true, strict: true }),
    output: { bundleStrategy: "split" },
    version: { pollInterval: 0 }
  }
};
