// Lint rules for forcedown. Module boundaries are enforced here:
// - only src/exec may spawn processes (child_process, execa);
// - nothing outside src/cli imports src/cli.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
