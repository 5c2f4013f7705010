// ESLint flat config for the page runtime and its build script (`make lint`).
import js from "@eslint/js";

export default [
  js.configs.recommended,
  {
    // The runtime runs in browsers as a classic script; ES2017 runs in every browser released
    // since 2017. Its build-time constants are declared in the file itself.
    files: ["**/runtime.js"],
    languageOptions: {
      ecmaVersion: 2017,
      sourceType: "script",
      globals: { window: "readonly", document: "readonly", setTimeout: "readonly" },
    },
    rules: { eqeqeq: ["error", "smart"], "no-unused-vars": ["error", { caughtErrors: "none" }] },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { process: "readonly", console: "readonly" },
    },
  },
];
