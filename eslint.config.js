// `npm run lint`: type-aware checks that the compiler does not make. Only the promise rules are
// on: a promise nobody awaits or catches turns a rejection into a crash (or silence), and an
// async function passed where a plain callback is expected (an express handler, a socket.io
// listener, an event handler) drops its rejection the same way.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      'data/',
      '.tmp/',
      'e2e/.tmp/',
      'e2e/artifacts/',
      'e2e/test-results/',
      'e2e/playwright-report/',
      '.gpu/',
      '.gl/',
      // Rebuilds fixtures with an old checkout; imports modules that no longer exist here.
      'server/test/fixtures/',
    ],
  },
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // Each file is typed by the tsconfig.json nearest to it, the one `npm run typecheck`
        // checks it with; the few plain JavaScript files belong to no project.
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'server/bin/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test() and describe() return promises that the runner itself awaits;
          // a subtest's t.test() is not on this list, and must be awaited.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
);
