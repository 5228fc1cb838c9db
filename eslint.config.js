// @ts-check
import { builtinModules } from 'node:module';

import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Bare names of Node built-ins (`fs`, `fs/promises`, `path`, `crypto`, …); `node:*` is a pattern below. */
const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_') && !name.startsWith('node:'));

const workflowSandboxMessage =
  'Workflow code runs in the deterministic Temporal sandbox: do I/O in activities and call them via ' +
  'proxyActivities(). Type-only imports (`import type`) are fine.';

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.data/',
      '.tools/',
      'coverage/',
      'db/migrations/',
      'test/histories/',
    ],
  },

  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,

  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The point of linting this codebase: no lost promises (unawaited activity calls, client calls, …).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',

      // Temporal payloads, Twilio/OpenAI SDK responses and JSON bodies are loosely typed; these fire on
      // every touch of them without catching real bugs. Validate with zod at the boundaries instead.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Temporal activities are `async` by contract even when their body happens to be synchronous.
      '@typescript-eslint/require-await': 'off',

      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
    },
  },

  // Plain JS (this file, tool configs): no type information available/needed.
  {
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },

  // Workflow code is bundled into Temporal's deterministic sandbox: no Node APIs, no I/O libraries, no
  // reaching into db/api/activities implementations (types are fine).
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins,
            'twilio',
            'openai',
            'postgres',
            'drizzle-orm',
            'pino',
            '@temporalio/worker',
            '@temporalio/client',
            '@temporalio/activity',
            '@temporalio/testing',
          ].map((name) => ({ name, message: workflowSandboxMessage, allowTypeImports: true })),
          patterns: [
            {
              group: ['node:*'],
              message: `Node built-ins are not available in workflows. ${workflowSandboxMessage}`,
              allowTypeImports: true,
            },
            {
              group: ['twilio/*', 'openai/*', 'postgres/*', 'drizzle-orm/*', 'pino/*'],
              message: workflowSandboxMessage,
              allowTypeImports: true,
            },
            {
              group: [
                '../db',
                '../db/*',
                '../api',
                '../api/*',
                '../activities',
                '../activities/*',
                '**/../db/*',
                '**/../api/*',
                '**/../activities/*',
              ],
              message: `Only types may be imported from db/, api/ and activities/; call activities through proxyActivities<typeof activities>(). ${workflowSandboxMessage}`,
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
