// The engine's contract, rule and gradient suites over PostgreSQL, each in a schema of its own,
// dropped after: the same suites as sqliteEngine.test.ts, so both repositories keep one contract.
import type { StoreHarness } from './engineContract';
import { engineContract } from './engineContract';
import { engineGradient } from './engineGradient';
import { engineRules } from './engineRules';
import { dropSchema, openPg, testSchema } from '../support/postgres';

function pgHarness(prefix: string): StoreHarness {
  const schema = testSchema(prefix);
  return {
    open: () => openPg(schema),
    async reopen(repository) {
      await repository.close();
      return openPg(schema);
    },
    dispose: () => dropSchema(schema),
  };
}

engineContract('PostgreSQL', pgHarness('contract'));
engineRules('PostgreSQL', pgHarness('rules'));
engineGradient('PostgreSQL', pgHarness('gradient'));
