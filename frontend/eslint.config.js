// ESLint for the web UI: the recommended rules of ESLint, typescript-eslint and eslint-plugin-svelte, with
// formatting left to Prettier (`npm run lint`; `make lint` runs it with svelte-check and `prettier --check`).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig, globalIgnores } from "eslint/config";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import ts from "typescript-eslint";
import svelteConfig from "./svelte.config.js";

export default defineConfig(
  globalIgnores(["build/", ".svelte-kit/"]),
  js.configs.recommended,
  ts.configs.recommended,
  svelte.configs.recommended,
  prettier,
  svelte.configs.prettier,
  {
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // TypeScript (svelte-check) already reports undefined names, and knows the types no-undef cannot see
      // (typescript-eslint's advice for TypeScript projects).
      "no-undef": "off",
      // Leaving a key out of a copy by destructuring (`const { managedFields, ...metadata } = object`) is the
      // idiom for omitting it; the name it binds is there to be left unused.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }]
    }
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: {
      parserOptions: {
        projectService: true,
        extraFileExtensions: [".svelte"],
        parser: ts.parser,
        svelteConfig
      }
    }
  }
);
