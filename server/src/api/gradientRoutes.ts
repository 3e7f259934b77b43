// REST resources of gradient workloads that travel as bytes (application/octet-stream, never
// JSON number arrays): a parameter version and a data partition (shard bytes), both immutable
// (a version's parameters never change; a partition is named by the SHA-256 of its bytes), so
// browsers and proxies cache them for good; and the current or final parameters via
// ?format=bin.
import { Router, type Response } from 'express';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import type { Coordinator } from '../coordinator';

const IMMUTABLE = 'public, max-age=31536000, immutable';

function sendBytes(res: Response, bytes: Uint8Array, cacheControl: string): void {
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Cache-Control', cacheControl);
  res.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

export function gradientRoutes(coordinator: Coordinator): Router {
  const router = Router();
  const service = () => {
    return coordinator.kinds.gradient;
  };

  router.get('/workloads/:id/params/:version', async (req, res) => {
    const version = Number(req.params.version);
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new TesseraError(ERROR_CODES.badRequest, `bad parameter version ${req.params.version}`);
    }
    const record = await coordinator.requireWorkload(req.params.id);
    if (record.kind !== 'gradient') {
      throw new TesseraError(
        ERROR_CODES.notFound,
        `workload ${record.id} is not a gradient workload`,
      );
    }
    sendBytes(res, await service().params(record.id, version), IMMUTABLE);
  });

  router.get('/shards/:hash', async (req, res) => {
    if (!/^[0-9a-f]{64}$/.test(req.params.hash)) {
      throw new TesseraError(ERROR_CODES.badRequest, 'a shard is named by 64 lowercase hex digits');
    }
    sendBytes(res, await service().shard(req.params.hash), IMMUTABLE);
  });

  router.get('/workloads/:id/result', async (req, res, next) => {
    if (req.query.format !== 'bin') {
      next();
      return;
    }
    const record = await coordinator.requireWorkload(req.params.id);
    if (record.kind !== 'gradient') {
      throw new TesseraError(
        ERROR_CODES.badRequest,
        `format=bin is for gradient workloads; ${record.id} is ${record.kind}`,
      );
    }
    const state = await service().currentParams(record.id);
    res.setHeader('X-Tessera-Version', String(state.version));
    res.setHeader('X-Tessera-Final', String(record.status === 'completed'));
    sendBytes(res, state.params, 'no-cache');
  });

  return router;
}
