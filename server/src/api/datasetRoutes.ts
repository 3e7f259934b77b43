// REST resources for researchers' datasets (DESIGN.md section 3): upload a CSV or a NumPy .npy
// array (streamed, never one JSON body; `?label=last`, `first` or a 0-based column index says
// which of an .npy's columns holds the labels), list (with the built-in datasets), read,
// delete. Uploading needs a researcher token, as submitting does.
import { Router } from 'express';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import {
  BUILT_IN_DATASETS,
  parseNpyLabelColumn,
  type DatasetList,
  type NpyLabelColumn,
} from '@tessera/shared/api/datasetSchemas';
import type { TokenOwner, TokenVerifier } from '../auth/tokens';
import type { Clock } from '../clock';
import { datasetDetailOf, datasetInfoOf, type Datasets } from '../datasets/datasets';
import { requireToken } from './requireToken';

/** What an .npy upload may be sent as. */
const NPY_TYPES = new Set(['application/x-npy', 'application/octet-stream']);
const NAME = /^[^\u0000-\u001f/\\]{1,120}$/;

export function datasetRoutes(datasets: Datasets, verifier: TokenVerifier, clock: Clock): Router {
  const router = Router();
  const auth = requireToken(verifier);

  router.post('/datasets', auth, async (req, res) => {
    const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const format = type === 'text/csv' ? 'csv' : NPY_TYPES.has(type) ? 'npy' : null;
    if (format === null) {
      req.resume();
      throw new TesseraError(
        ERROR_CODES.badRequest,
        `send the dataset as Content-Type: text/csv, or a NumPy .npy file as application/x-npy (got ${type || 'none'})`,
      );
    }
    let labelColumn: NpyLabelColumn | null;
    try {
      labelColumn = npyLabelColumnOf(req.query.label, format);
    } catch (error) {
      req.resume();
      throw error;
    }
    const name = typeof req.query.name === 'string' ? req.query.name : 'dataset.csv';
    if (!NAME.test(name)) {
      req.resume();
      throw new TesseraError(ERROR_CODES.badRequest, 'name must be 1-120 characters, no slashes');
    }
    try {
      const { meta, created } = await datasets.upload({
        body: req,
        name,
        owner: (res.locals.owner as TokenOwner).tokenId,
        now: clock.now(),
        format,
        labelColumn,
      });
      res
        .status(created ? 201 : 200)
        .location(`/api/datasets/${meta.id}`)
        .json(datasetInfoOf(meta));
    } catch (error) {
      // The rest of a refused body is read and dropped, so the answer reaches the client.
      req.resume();
      throw error;
    }
  });

  router.get('/datasets', async (_req, res) => {
    res.json({
      datasets: (await datasets.list()).map(datasetInfoOf),
      builtIn: [...BUILT_IN_DATASETS],
    } satisfies DatasetList);
  });

  router.get('/datasets/:id', async (req, res) => {
    res.json(datasetDetailOf(await datasets.require(String(req.params.id))));
  });

  router.delete('/datasets/:id', auth, async (req, res) => {
    await datasets.delete(String(req.params.id));
    res.status(204).end();
  });

  return router;
}

/** `?label=`: an .npy's label column (`first`, `last`, a 0-based index), null when absent. */
export function npyLabelColumnOf(label: unknown, format: 'csv' | 'npy'): NpyLabelColumn | null {
  if (label === undefined) return null;
  if (format !== 'npy') {
    throw new TesseraError(
      ERROR_CODES.badRequest,
      'label= is for .npy uploads (a CSV names its label column "label")',
    );
  }
  const column = typeof label === 'string' ? parseNpyLabelColumn(label) : null;
  if (column !== null) return column;
  throw new TesseraError(
    ERROR_CODES.badRequest,
    'label is first, last or a 0-based column index (the column of the .npy holding the classes)',
  );
}
