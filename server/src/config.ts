// The operator's settings, from the environment, checked once at start with messages that say
// which variable is wrong and how to fix it.
import { resolve } from 'node:path';
import { z } from 'zod';

/** An empty variable (`TESSERA_TOKEN=`) means unset, as shells and compose files use it. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const envSchema = z.object({
  PORT: z.coerce
    .number()
    .int('PORT must be a whole number')
    .min(0, 'PORT must be 0-65535')
    .max(65535, 'PORT must be 0-65535')
    .default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  TESSERA_DATA: z.string().min(1).default('./data'),
  TESSERA_TOKEN: optional(z.string().min(8, 'TESSERA_TOKEN must be at least 8 characters')),
  TESSERA_LEASE_MS: optional(z.coerce.number().int().min(100, 'TESSERA_LEASE_MS must be >= 100')),
  DATABASE_URL: optional(z.string()),
  REDIS_URL: optional(z.string()),
});

export interface CoordinatorConfig {
  port: number;
  host: string;
  dataDir: string;
  envToken: string | undefined;
  leaseDurationMs: number | undefined;
  databaseUrl: string | undefined;
}

export function configFromEnv(env: NodeJS.ProcessEnv): CoordinatorConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.TESSERA_DATA),
    envToken: e.TESSERA_TOKEN,
    leaseDurationMs: e.TESSERA_LEASE_MS,
    databaseUrl: e.DATABASE_URL,
  };
}
