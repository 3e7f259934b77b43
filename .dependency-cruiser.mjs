// `npm run check:cycles`: fails on any import cycle between the repository's own modules.
// Type-only imports count: a cycle of types still ties two modules' designs together, and
// `import type` is one edit away from a runtime cycle.
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Break the cycle: move what both sides need into a module of its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      // An import the cruiser cannot resolve is an edge it cannot see, so a cycle through it
      // would pass unnoticed (the typecheck reports the same import with its cause).
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Build output (a Vite bundle's chunks may import each other in a ring) and run leftovers.
    // test/fixtures: scripts kept for rebuilding fixtures with an old checkout (they import its modules).
    exclude: {
      path: '(^|/)(dist|data|[.]tmp|artifacts|test-results|playwright-report|test/fixtures)/',
    },
    // Read `import type` as well as value imports.
    tsPreCompilationDeps: true,
    // For `paths`, should the compiler options ever gain them.
    tsConfig: { fileName: 'tsconfig.base.json' },
    // `@tessera/shared/...` resolves as Node and Vite resolve it: through the workspace link in
    // node_modules and shared/package.json's "exports", to the file under shared/src.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'default'],
      extensions: ['.ts', '.tsx', '.mjs', '.js'],
    },
  },
};
