// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'web/dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'max-depth': ['error', 4],
      complexity: ['warn', 20],
      // Rule 1 of ARCHITECTURE.md: time and randomness are injected.
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the injected Rng (src/core/rng.ts).' },
        { object: 'Date', property: 'now', message: 'Use the injected Clock (src/core/clock.ts).' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only src/config reads process.env.',
        },
      ],
    },
  },
  {
    // The composition roots and the clock itself are where the real world is allowed in.
    files: [
      'src/config/**',
      'src/core/clock.ts',
      'src/**/testing/**',
      'bench/**',
      'test/**',
      '**/*.test.ts',
      'eslint.config.js',
    ],
    rules: { 'no-restricted-properties': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    // Tests and benchmarks are linear scripts; their optional chains are not branching logic.
    files: ['**/*.test.ts', 'src/**/testing/**', 'bench/**', 'test/**'],
    rules: { complexity: 'off' },
  },
  {
    // core/ imports nothing outside core; policies never import a cluster implementation.
    files: ['src/core/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../*', '!./*'] }] },
  },
  {
    // Layers point down (core → cluster → policies → controller → api → cli): the cluster
    // layer, the store and the evaluator never reach up. The in-cluster agent stands on core
    // and cluster too (one actuator, one ClusterClient): the hub's API, the controller and the
    // store are the other end of its channel.
    files: ['src/cluster/**', 'src/agent/**'],
    ignores: ['**/*.test.ts', 'src/**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '**/controller/**',
            '**/api/**',
            '**/cli/**',
            '**/store/**',
            '**/policies/**',
            '**/eval/**',
            '**/rl/**',
          ],
        },
      ],
    },
  },
  {
    files: ['src/store/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '**/cluster/**',
            '**/controller/**',
            '**/api/**',
            '**/cli/**',
            '**/policies/**',
            '**/eval/**',
            '**/rl/**',
          ],
        },
      ],
    },
  },
  {
    files: ['src/eval/**', 'src/rl/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/controller/**', '**/api/**', '**/cli/**'] },
      ],
    },
  },
  {
    files: ['src/policies/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/cluster/sim/**', '**/cluster/kube/**', '**/cluster/remote/**'] },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
