// The OpenAPI paths of researchers' datasets and of the bytes inference volunteers fetch
// (openApiDocument.ts assembles them into the one document).
import { ERROR_CODES } from '@tessera/shared';
import { MAX_DATASET_UPLOAD_BYTES } from '../datasets/datasets';
import {
  binary,
  cacheControlHeader,
  errorResponse,
  idParameter,
  IMMUTABLE_CACHE,
  json,
  notFound,
  ref,
  unauthorized,
} from './openApiParts';

const datasetId = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The dataset id returned by POST /api/datasets ("ds-" and 24 hex digits).',
  schema: { type: 'string' },
};
const noDataset = errorResponse('No dataset with this id.', [ERROR_CODES.notFound]);

export function datasetPaths() {
  return {
    '/api/datasets': {
      post: {
        tags: ['datasets'],
        operationId: 'uploadDataset',
        summary: 'Upload a dataset as CSV or NumPy .npy (streamed)',
        description: `CSV: a header row of column names, numeric feature columns, and optionally a last column \`label\` of integer classes 0..C-1 (without it the dataset is unlabeled, for inference). NumPy: one 2-D little-endian float32/float64 C-order array (\`np.save\`), \`?label=last\` when its last column holds the classes. Caps: 4,096 feature columns, 1,000,000 rows, 2^25 values, ${MAX_DATASET_UPLOAD_BYTES} bytes. The id is the content's: the same numbers uploaded again answer 200 with the first upload.`,
        security: [{ researcherToken: [] }],
        parameters: [
          {
            name: 'name',
            in: 'query',
            required: false,
            description: 'What to call it (default dataset.csv).',
            schema: { type: 'string', maxLength: 120 },
          },
          {
            name: 'label',
            in: 'query',
            required: false,
            description:
              "`last`: an .npy upload's last column holds the integer classes (a CSV names its label column `label`).",
            schema: { type: 'string', enum: ['last'] },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'text/csv': { schema: { type: 'string' } },
            'application/x-npy': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: {
          '200': {
            description: 'The same content was uploaded before.',
            content: json(ref('DatasetInfo')),
          },
          '201': { description: 'Stored.', content: json(ref('DatasetInfo')) },
          '400': errorResponse(
            'Neither text/csv nor application/x-npy, or a refused file: `message` and `details[0]` name the line (an .npy: the row) and column.',
            [ERROR_CODES.badRequest],
          ),
          '401': unauthorized,
          '413': errorResponse('The body is over the size cap.', [ERROR_CODES.payloadTooLarge]),
        },
      },
      get: {
        tags: ['datasets'],
        operationId: 'listDatasets',
        summary: 'Every uploaded dataset, oldest first, and the built-in ones',
        responses: { '200': { description: 'The datasets.', content: json(ref('DatasetList')) } },
      },
    },
    '/api/datasets/{id}': {
      parameters: [datasetId],
      get: {
        tags: ['datasets'],
        operationId: 'getDataset',
        summary: 'One dataset, with its columns and standardisation statistics',
        responses: {
          '200': { description: 'The dataset.', content: json(ref('DatasetDetail')) },
          '404': noDataset,
        },
      },
      delete: {
        tags: ['datasets'],
        operationId: 'deleteDataset',
        summary: 'Delete a dataset',
        security: [{ researcherToken: [] }],
        responses: {
          '204': { description: 'Deleted.' },
          '401': unauthorized,
          '404': noDataset,
          '409': errorResponse('A queued or running workload uses it (`details.workloads`).', [
            ERROR_CODES.conflict,
          ]),
        },
      },
    },
  };
}

export function inferencePaths() {
  return {
    '/api/workloads/{id}/model': {
      parameters: [idParameter],
      get: {
        tags: ['gradient'],
        operationId: 'getInferenceModel',
        summary: "An inference workload's pinned model parameters, as bytes",
        responses: {
          '200': {
            description:
              '`parameterCount` float32 values, little-endian; the task names their SHA-256.',
            headers: cacheControlHeader(IMMUTABLE_CACHE),
            content: binary,
          },
          '404': notFound,
        },
      },
    },
    '/api/workloads/{id}/rows/{unit}': {
      parameters: [
        idParameter,
        {
          name: 'unit',
          in: 'path',
          required: true,
          description: 'The unit index an inference task names.',
          schema: { type: 'integer', minimum: 0 },
        },
      ],
      get: {
        tags: ['gradient'],
        operationId: 'getInferenceRows',
        summary: "An inference unit's rows, standardised, as bytes",
        responses: {
          '200': {
            description:
              'The rows in the shard format (shardCodec.ts); the task names their SHA-256.',
            headers: cacheControlHeader(IMMUTABLE_CACHE),
            content: binary,
          },
          '400': errorResponse('The unit index is not a non-negative integer.', [
            ERROR_CODES.badRequest,
          ]),
          '404': errorResponse('No such inference workload or unit.', [ERROR_CODES.notFound]),
        },
      },
    },
  };
}
