// Pieces every part of the OpenAPI document uses (openApiDocument.ts, openApiDatasets.ts).
import { ERROR_CODES } from '@tessera/shared';

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: object) => ({ 'application/json': { schema } });

export function errorResponse(description: string, codes: string[]) {
  return {
    description: `${description} Codes: ${codes.join(', ')}.`,
    content: json(ref('Error')),
  };
}

export const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The workload id returned by POST /api/workloads.',
  schema: { type: 'string' },
};

export const notFound = errorResponse('No workload with this id.', [ERROR_CODES.notFound]);

/** The header gradient parameters and partitions are served with: their bytes never change. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

export const binary = {
  'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
};

export const cacheControlHeader = (value: string) => ({
  'Cache-Control': { description: `Always \`${value}\`.`, schema: { type: 'string' } },
});
export const unauthorized = errorResponse('The bearer token is missing or unknown.', [
  ERROR_CODES.unauthorized,
]);
