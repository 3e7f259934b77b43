// The operator's settings, from the environment, checked once at start with messages that say
// which variable is wrong and how to fix it.
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, type LogLevel } from './ops/logger';
import { DEFAULT_REQUESTS_PER_MINUTE } from './ops/rateLimit';

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
  DATABASE_URL: optional(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL'),
  ),
  /** A PostgreSQL schema of its own (several deployments or test runs in one database). */
  TESSERA_DB_SCHEMA: optional(
    z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'TESSERA_DB_SCHEMA must be a lower-case SQL name'),
  ),
  REDIS_URL: optional(
    z.string().regex(/^rediss?:\/\//, 'REDIS_URL must be a redis:// or rediss:// URL'),
  ),
  TESSERA_REDIS_PREFIX: optional(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/)),
  /** Coordinator processes on this port (node:cluster); more than one needs DATABASE_URL. */
  TESSERA_WORKERS: optional(
    z.coerce
      .number()
      .int('TESSERA_WORKERS must be a whole number')
      .min(1, 'TESSERA_WORKERS must be 1-256')
      .max(256, 'TESSERA_WORKERS must be 1-256'),
  ),
  /** Replicas one volunteer connection may hold at once (a GPU tab asks for batches). */
  TESSERA_MAX_LEASES: optional(
    z.coerce
      .number()
      .int()
      .min(1, 'TESSERA_MAX_LEASES must be 1-64')
      .max(64, 'TESSERA_MAX_LEASES must be 1-64'),
  ),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS, `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`)),
  TESSERA_RATE_LIMIT: optional(
    z.coerce.number().int().min(0, 'TESSERA_RATE_LIMIT must be >= 0 (0: no limits)'),
  ),
});

export interface CoordinatorConfig {
  port: number;
  host: string;
  dataDir: string;
  envToken: string | undefined;
  leaseDurationMs: number | undefined;
  databaseUrl: string | undefined;
  dbSchema: string | undefined;
  redisUrl: string | undefined;
  redisPrefix: string | undefined;
  workers: number;
  maxLeasesPerConnection: number | undefined;
  /** REST calls a minute per client address (0: no limits). */
  rateLimit: number;
  logLevel: LogLevel;
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
    dbSchema: e.TESSERA_DB_SCHEMA,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.TESSERA_REDIS_PREFIX,
    workers: e.TESSERA_WORKERS ?? 1,
    maxLeasesPerConnection: e.TESSERA_MAX_LEASES,
    rateLimit: e.TESSERA_RATE_LIMIT ?? DEFAULT_REQUESTS_PER_MINUTE,
    logLevel: e.LOG_LEVEL ?? DEFAULT_LOG_LEVEL,
  };
}
