// Lint (npm run lint, part of npm test): JavaScript's and typescript-eslint's recommended rules, no import
// cycles (import-x/no-cycle: a module graph with cycles loads half-initialised modules), and nothing that is
// Prettier's job (eslint-config-prettier); formatting itself is checked by `prettier --check`.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "**/dist/", "cdktf.out/", ".gen/", "coverage/", "bench/results/", "terraform/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,mts,js,mjs,cjs}"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/extensions": [".ts", ".mts", ".js", ".mjs", ".cjs"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".mts"] },
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".mts", ".js", ".mjs", ".cjs", ".json", ".node"] })],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      // `_name` marks a parameter kept for a shared signature, or a property left out of a rest object.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read synthesized Terraform JSON and API responses as `any`: the assertions are the type check.
    files: ["test/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.{js,cjs}"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", __dirname: "readonly", process: "readonly", console: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
);
