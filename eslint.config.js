// Lint rules for forcedown. Module boundaries are enforced here:
// - only src/exec may spawn processes (child_process, execa);
// - nothing outside src/cli imports src/cli;
// - no upward import between src/ folders (forcedown/layers, table in scripts/eslint/layers.js);
// - no function over 100 lines in src/ (generated code excepted).
// File-level import cycles are caught by scripts/check-cycles.mjs (run by `npm run lint`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import forcedown from './scripts/eslint/layers.js';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dist-check/',
      '.toolchain/',
      'cdktf.out/',
      '.gen/',
      'bench/results/',
      'test/e2e/testbed/**/*.py',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // async interface methods (a step's check, a double's close...) that happen not to await are part of their contract
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'child_process', message: 'Spawn processes through src/exec only (redaction, timeouts, dry-run).' },
            {
              name: 'node:child_process',
              message: 'Spawn processes through src/exec only (redaction, timeouts, dry-run).',
            },
            { name: 'execa', message: 'Spawn processes through src/exec only (redaction, timeouts, dry-run).' },
          ],
        },
      ],
    },
  },
  {
    // the one place allowed to spawn processes
    files: ['src/exec/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // test and bench harnesses start real servers (testbed, terraform, the CLI binary under test)
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'child_process', message: 'Spawn processes through src/exec only.' },
            { name: 'node:child_process', message: 'Spawn processes through src/exec only.' },
            { name: 'execa', message: 'Spawn processes through src/exec only.' },
          ],
          patterns: [{ group: ['**/cli/**', '../cli/*', '../../cli/*'], message: 'Nothing imports the CLI layer.' }],
        },
      ],
    },
  },
  {
    files: ['src/exec/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { forcedown },
    rules: {
      'forcedown/layers': 'error',
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['src/generated/**/*.ts'],
    rules: { 'max-lines-per-function': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
);
