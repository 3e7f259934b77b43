// REST resources for researchers' datasets (DESIGN.md section 3): upload a CSV (streamed, never
// one JSON body), list, read, delete. Uploading needs a researcher token, as submitting does.
import { Router } from 'express';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import type { TokenOwner, TokenVerifier } from '../auth/tokens';
import type { Clock } from '../clock';
import { datasetDetailOf, datasetInfoOf, type Datasets } from '../datasets/datasets';
import { requireToken } from './requireToken';

const NAME = /^[^\u0000-\u001f/\\]{1,120}$/;

export function datasetRoutes(datasets: Datasets, verifier: TokenVerifier, clock: Clock): Router {
  const router = Router();
  const auth = requireToken(verifier);

  router.post('/datasets', auth, async (req, res) => {
    const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'text/csv') {
      req.resume();
      throw new TesseraError(
        ERROR_CODES.badRequest,
        `send the dataset as Content-Type: text/csv (got ${type || 'none'})`,
      );
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
    res.json({ datasets: (await datasets.list()).map(datasetInfoOf) });
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
