// @ts-check
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs', 'fs/promises', 'child_process', 'path', 'os', 'crypto', 'http', 'https', 'net', 'url',
  'util', 'stream', 'events', 'process', 'readline', 'zlib', 'worker_threads', 'timers', 'dns',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.nightshift/**', 'bench/results/**', 'test/fixtures/**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed: it must reach the world only through activities.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.flatMap((name) => [
            { name, message: 'Workflow code must be deterministic: use an activity.' },
            { name: `node:${name}`, message: 'Workflow code must be deterministic: use an activity.' },
          ]),
          patterns: [{ group: ['../activities/*', '!../activities/types'], allowTypeImports: true, message: 'Import activities with `import type` only.' }],
        },
      ],
      'no-console': 'error',
    },
  },
);
