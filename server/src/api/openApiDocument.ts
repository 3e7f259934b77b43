// The OpenAPI 3.1 description of the REST API (served at GET /api/openapi.json), generated from
// the zod schemas the server parses requests with and the API client parses answers with.
// A route added to the API is added here too: the test lists the routes the Express app
// registers and fails on any this document leaves out, and walks every documented path against
// a live coordinator.
import { z } from 'zod';
import {
  ERROR_CODES,
  errorResponseSchema,
  fieldErrorSchema,
  healthSchema,
  platformStatsSchema,
  submitWorkloadSchema,
  workloadResultSchema,
  workloadViewSchema,
} from '@tessera/shared';

import {
  datasetDetailSchema,
  datasetInfoSchema,
  datasetListSchema,
} from '@tessera/shared/api/datasetSchemas';
import { datasetPaths, inferencePaths } from './openApiDatasets';
import {
  ref,
  json,
  errorResponse,
  idParameter,
  notFound,
  IMMUTABLE_CACHE,
  binary,
  cacheControlHeader,
  unauthorized,
} from './openApiParts';

export const OPENAPI_VERSION = '3.1.0';
export const API_VERSION = '0.1.0';

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (the dialect OpenAPI 3.1 uses) without the top-level `$schema`. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/** The answer of a call over the operator's rate limits (server/src/ops/rateLimit.ts). */
const rateLimited = {
  ...errorResponse(
    'Too many calls from this address in the last minute, where the operator set limits (`TESSERA_RATE_LIMIT`: every /api call, and a stricter limit on submitting). `details`: `{ limit, windowSeconds, retryAfterSeconds }`.',
    [ERROR_CODES.rateLimited],
  ),
  headers: {
    'Retry-After': {
      description: 'Seconds until a call is taken again.',
      schema: { type: 'integer' },
    },
  },
};

interface Operation {
  tags?: string[];
  responses: Record<string, unknown>;
}

/**
 * Every /api operation may answer 429, except the bytes gradient volunteers download (tag
 * `gradient`), which the limits leave out.
 */
function withRateLimits<T extends Record<string, object>>(paths: T): T {
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/api/')) continue;
    for (const [key, op] of Object.entries(item as Record<string, Operation>)) {
      if (key === 'parameters' || op.tags?.includes('gradient')) continue;
      op.responses = { ...op.responses, '429': rateLimited };
    }
  }
  return paths;
}

export function buildOpenApiDocument(): Record<string, unknown> {
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Tessera coordinator',
      version: API_VERSION,
      description:
        'Submit Monte Carlo and gradient (data-parallel training) workloads to browser volunteers, follow their progress and read the verified answer. Gradient parameters and data partitions travel as bytes (`application/octet-stream`, float32 little-endian), never as JSON number arrays. Researcher calls (submit, cancel) carry `Authorization: Bearer <token>`: the token is in `data/researcher.token` after the first start, or the `TESSERA_TOKEN` the coordinator was started with; `tessera token create --name NAME` makes more. Every error is a 4xx/5xx with `{ "error": { "code", "message", "details"? } }`.',
    },
    tags: [
      { name: 'workloads', description: 'Submit, follow, read and cancel workloads.' },
      { name: 'platform', description: 'Figures and health of the platform.' },
      {
        name: 'gradient',
        description:
          'The bytes gradient and inference volunteers fetch: parameters, data partitions and rows, all immutable.',
      },
      { name: 'datasets', description: "Researchers' own data: upload a CSV, list, read, delete." },
    ],
    paths: withRateLimits({
      '/api/workloads': {
        post: {
          tags: ['workloads'],
          operationId: 'submitWorkload',
          summary: 'Submit a workload',
          description:
            "`kind` is `montecarlo` (spec per estimator: pi, european-option, ising-2d, or `wgsl`: a researcher's own kernel, `{ source, outputs, samples, seed, samplesPerUnit? }` where `source` defines `fn sample() -> array<f32, K>`, K = number of `outputs`) or `gradient` (spec: model, dataset, optimizer, batchSize, steps or epochs, shards, seed, ...). The body is validated against the kind's spec schema; a refused field is named in `error.details[]` (`FieldError`: `path`, e.g. `spec.samples`, and `message`). A `wgsl` source that does not compile is refused with `path` `spec.source` and, when the compiler points at one, the `line` and `column` (1-based) in the source; the message then opens with `line L, column C: `.",
          security: [{ researcherToken: [] }],
          requestBody: { required: true, content: json(ref('SubmitWorkload')) },
          responses: {
            '201': {
              description: 'Created; `Location` names the new workload.',
              headers: { Location: { schema: { type: 'string' } } },
              content: json(ref('WorkloadView')),
            },
            '400': errorResponse('The body is not valid JSON or not a valid workload.', [
              ERROR_CODES.invalidSpec,
              ERROR_CODES.badRequest,
            ]),
            '401': unauthorized,
            '413': errorResponse('The body is too large.', [ERROR_CODES.payloadTooLarge]),
          },
        },
        get: {
          tags: ['workloads'],
          operationId: 'listWorkloads',
          summary: 'List every workload',
          responses: {
            '200': { description: 'Every workload.', content: json(ref('WorkloadList')) },
          },
        },
      },
      '/api/workloads/{id}': {
        parameters: [idParameter],
        get: {
          tags: ['workloads'],
          operationId: 'getWorkload',
          summary: 'Read one workload: status and progress',
          description:
            'A Monte Carlo workload also says `capableVolunteers`: the volunteer tabs online now that can run its units (tabs with WebGPU for a `wgsl` kernel, every tab otherwise). While it runs, `progress.unitsWaiting` counts units no volunteer online may take.',
          responses: {
            '200': { description: 'The workload.', content: json(ref('WorkloadView')) },
            '404': notFound,
          },
        },
        delete: {
          tags: ['workloads'],
          operationId: 'cancelWorkload',
          summary: 'Cancel a queued or running workload',
          security: [{ researcherToken: [] }],
          responses: {
            '200': { description: 'The cancelled workload.', content: json(ref('WorkloadView')) },
            '401': unauthorized,
            '404': notFound,
            '409': errorResponse('The workload has already ended.', [ERROR_CODES.conflict]),
          },
        },
      },
      '/api/workloads/{id}/result': {
        parameters: [idParameter],
        get: {
          tags: ['workloads'],
          operationId: 'getWorkloadResult',
          summary: "The workload's answer, from its validated units so far",
          parameters: [
            {
              name: 'format',
              in: 'query',
              required: false,
              description:
                "JSON when left out. `bin`: gradient workloads, the current parameters as float32 bytes, the final ones once `X-Tessera-Final` is true; inference workloads, every row's class and probabilities once complete (shared/src/kinds/inference/inferenceResult.ts). `csv` (inference workloads): one line per predicted row, `row,class,p0,p1,...`.",
              schema: { type: 'string', enum: ['bin', 'csv'] },
            },
          ],
          responses: {
            '200': {
              description:
                'JSON: the aggregate; `final` is true once every unit is validated. pi and european-option: `{ estimate, stderr, ci95, samples }`; ising-2d: `{ magnetization, energy, ... }`; wgsl: `{ outputs: { <name>: { mean, stderr, ci95, rejected } }, samples }`; gradient: `{ version, stepsTotal, steps: [{ step, loss, accuracy? }], loss, accuracy, parameterCount, paramsUrl }`; inference: `{ rows, rowsPredicted, classes, labeled, accuracy?, correct?, model, dataset, predictions: [class or null per row] }`. With `?format=bin`: the parameters, `parameterCount` float32 values, little-endian (gradient), or the predictions as bytes (inference).',
              headers: {
                'X-Tessera-Version': {
                  description: '`?format=bin` only: the parameter version sent (steps completed).',
                  schema: { type: 'integer', minimum: 0 },
                },
                'X-Tessera-Final': {
                  description: '`?format=bin` only: whether the workload has completed.',
                  schema: { type: 'string', enum: ['true', 'false'] },
                },
              },
              content: {
                ...json(ref('WorkloadResult')),
                ...binary,
                'text/csv; charset=utf-8': { schema: { type: 'string' } },
              },
            },
            '400': errorResponse(
              '`?format=bin` on a Monte Carlo workload, or `?format=csv` on one that is not inference.',
              [ERROR_CODES.badRequest],
            ),
            '404': notFound,
            '409': errorResponse(
              'JSON: no unit is validated yet; inference `?format=bin`: not complete yet.',
              [ERROR_CODES.notReady],
            ),
          },
        },
      },
      '/api/workloads/{id}/params/{version}': {
        parameters: [
          idParameter,
          {
            name: 'version',
            in: 'path',
            required: true,
            description: 'Parameter version (= steps completed); a gradient task names it.',
            schema: { type: 'integer', minimum: 0 },
          },
        ],
        get: {
          tags: ['gradient'],
          operationId: 'getGradientParams',
          summary: 'One parameter version of a gradient workload, as bytes',
          description:
            'Served while it is the current version (the one the open round computes gradients at), or the final one. A version never changes, so it is cached for good.',
          responses: {
            '200': {
              description: '`parameterCount` float32 values, little-endian.',
              headers: cacheControlHeader(IMMUTABLE_CACHE),
              content: binary,
            },
            '400': errorResponse('The version is not a non-negative integer.', [
              ERROR_CODES.badRequest,
            ]),
            '404': errorResponse(
              'No such workload, not a gradient workload, or the version is not held (`details.version` is the current one).',
              [ERROR_CODES.notFound],
            ),
          },
        },
      },
      '/api/shards/{hash}': {
        parameters: [
          {
            name: 'hash',
            in: 'path',
            required: true,
            description: "SHA-256 of the partition's bytes (a gradient task names it).",
            schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          },
        ],
        get: {
          tags: ['gradient'],
          operationId: 'getGradientPartition',
          summary: 'A data partition of a gradient workload, as bytes',
          description:
            'Named by the SHA-256 of its bytes, so it never changes and is cached for good; a volunteer checks the hash before use.',
          responses: {
            '200': {
              description:
                'The examples in the shard format (shared/src/kinds/gradient/shardCodec.ts): a 32-byte little-endian header (magic "TGSD", version, dtype, count, inputSize, classes), then the features (uint8 or float32, row-major), then one label byte per example.',
              headers: cacheControlHeader(IMMUTABLE_CACHE),
              content: binary,
            },
            '400': errorResponse('The hash is not 64 lowercase hex digits.', [
              ERROR_CODES.badRequest,
            ]),
            '404': errorResponse('No open gradient workload has a partition with this hash.', [
              ERROR_CODES.notFound,
            ]),
          },
        },
      },
      ...datasetPaths(),
      ...inferencePaths(),
      '/api/stats': {
        get: {
          tags: ['platform'],
          operationId: 'getStats',
          summary: 'Platform figures: volunteers online, throughput, units validated',
          responses: {
            '200': { description: 'The figures.', content: json(ref('PlatformStats')) },
          },
        },
      },
      '/api/openapi.json': {
        get: {
          tags: ['platform'],
          operationId: 'getOpenApi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } },
        },
      },
      '/healthz': {
        get: {
          tags: ['platform'],
          operationId: 'getHealth',
          summary: 'Liveness',
          responses: { '200': { description: 'Up.', content: json(ref('Health')) } },
        },
      },
      '/metrics': {
        get: {
          tags: ['platform'],
          operationId: 'getMetrics',
          summary: 'Prometheus metrics',
          responses: {
            '200': {
              description: 'Prometheus text exposition format 0.0.4.',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
    }),
    components: {
      securitySchemes: {
        researcherToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A researcher token (data/researcher.token, TESSERA_TOKEN, or `tessera token create`).',
        },
      },
      schemas: {
        SubmitWorkload: jsonSchema(submitWorkloadSchema, 'input'),
        WorkloadView: jsonSchema(workloadViewSchema, 'output'),
        WorkloadList: { type: 'array', items: ref('WorkloadView') },
        WorkloadResult: jsonSchema(workloadResultSchema, 'output'),
        PlatformStats: jsonSchema(platformStatsSchema, 'output'),
        Health: jsonSchema(healthSchema, 'output'),
        Error: jsonSchema(errorResponseSchema, 'output'),
        FieldError: jsonSchema(fieldErrorSchema, 'output'),
        DatasetInfo: jsonSchema(datasetInfoSchema, 'output'),
        DatasetDetail: jsonSchema(datasetDetailSchema, 'output'),
        DatasetList: jsonSchema(datasetListSchema, 'output'),
      },
    },
  };
}
