// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import boundaries (see README "Architecture"): libs never import apps, apps never import each
 * other, contracts stay plain wire types, and the web client sees only the contracts. */
const noAppImports = ['**/apps/*', '**/apps/*/**', 'apps/*'];
const otherApps = (self) =>
  ['auth', 'gateway', 'media', 'web', 'cli']
    .filter((a) => a !== self)
    .flatMap((a) => [`**/apps/${a}`, `**/apps/${a}/**`]);

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'artifacts/**',
      'apps/web/dist/**',
      '**/*.mjs',
      '**/*.cjs',
      '*.config.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['libs/**/*.ts'], rules: restrict(noAppImports, 'libs/ never import from apps/.') },
  {
    files: ['libs/contracts/**/*.ts'],
    rules: restrict(
      [
        ...noAppImports,
        '@chat/database',
        '@chat/database/*',
        '@chat/security',
        '@chat/security/*',
        '@chat/platform',
        '@chat/platform/*',
        'typeorm',
        '@chat/domain',
        '@chat/domain/*',
        '**/libs/database/**',
        '**/libs/security/**',
        '**/libs/platform/**',
        '**/libs/domain/**',
      ],
      'libs/contracts holds plain wire types: no entities, security or server code.',
    ),
  },
  {
    files: ['libs/domain/**/*.ts'],
    rules: restrict(
      [
        ...noAppImports,
        '@chat/database',
        '@chat/database/*',
        '@chat/security',
        '@chat/security/*',
        '@chat/platform',
        '@chat/platform/*',
        '@nestjs/*',
        'typeorm',
        '**/libs/database/**',
        '**/libs/security/**',
        '**/libs/platform/**',
      ],
      'libs/domain holds pure rules and mappers over plain records: contracts only, no framework.',
    ),
  },
  {
    files: ['apps/auth/**/*.ts'],
    rules: restrict(otherApps('auth'), 'Apps never import each other; talk over HTTP or events.'),
  },
  {
    files: ['apps/gateway/**/*.ts'],
    rules: restrict(otherApps('gateway'), 'Apps never import each other; talk over HTTP or events.'),
  },
  {
    files: ['apps/media/**/*.ts'],
    rules: restrict(otherApps('media'), 'Apps never import each other; talk over HTTP or events.'),
  },
  {
    files: ['apps/web/**/*.ts', 'apps/web/**/*.tsx'],
    rules: restrict(
      [
        ...otherApps('web'),
        '@chat/database',
        '@chat/database/*',
        '@chat/security',
        '@chat/security/*',
        '@chat/platform',
        '@chat/platform/*',
        '**/libs/database/**',
        '**/libs/security/**',
        '**/libs/platform/**',
        '@chat/domain',
        '@chat/domain/*',
        '**/libs/domain/**',
        '@nestjs/*',
        'typeorm',
      ],
      'The web client imports only @chat/contracts and its own code.',
    ),
  },
  {
    files: ['apps/cli/src/**/*.ts'],
    rules: restrict(
      [
        ...otherApps('cli'),
        '@chat/database',
        '@chat/database/*',
        '@chat/security',
        '@chat/security/*',
        '@chat/platform',
        '@chat/platform/*',
        '@chat/domain',
        '@chat/domain/*',
        '**/libs/database/**',
        '**/libs/security/**',
        '**/libs/platform/**',
        '**/libs/domain/**',
        '@nestjs/*',
        'typeorm',
      ],
      'The terminal client imports only @chat/contracts and its own code: it talks to the server over the wire.',
    ),
  },
);
