// REST resources of inference workloads: the pinned model's parameters and each unit's rows as
// immutable bytes (what volunteers download and cache by hash), and the answer as CSV (one line
// per predicted row: `row,class,p0,p1,...`) or binary (?format=bin, encodeInferenceResult over
// every row, once complete).
import { Router, type Response } from 'express';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import { encodeInferenceResult } from '@tessera/shared/kinds/inference/inferenceResult';
import type { Coordinator } from '../coordinator';
import { inferenceAnswer } from '../kinds/inference/inferenceAnswer';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** CSV lines written per chunk. */
const CSV_CHUNK_ROWS = 4_096;

function sendBytes(res: Response, bytes: Uint8Array, cacheControl: string): void {
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Cache-Control', cacheControl);
  res.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** A float32 probability in the fewest digits that read back as the same float32. */
function probabilityText(p: number): string {
  return String(Number(p.toPrecision(9)) === p ? Number(p.toPrecision(7)) : p);
}

export function inferenceRoutes(coordinator: Coordinator): Router {
  const router = Router();
  const kind = coordinator.kinds.inference;

  const requireInference = async (id: string) => {
    const record = await coordinator.requireWorkload(id);
    if (record.kind !== 'inference') {
      throw new TesseraError(ERROR_CODES.notFound, `workload ${id} is not an inference workload`);
    }
    return record;
  };

  router.get('/workloads/:id/model', async (req, res) => {
    await requireInference(req.params.id);
    sendBytes(res, await kind.model(req.params.id), IMMUTABLE);
  });

  router.get('/workloads/:id/rows/:unit', async (req, res) => {
    const idx = Number(req.params.unit);
    if (!Number.isSafeInteger(idx) || idx < 0) {
      throw new TesseraError(ERROR_CODES.badRequest, `bad unit index ${req.params.unit}`);
    }
    sendBytes(res, await kind.rows(req.params.id, idx), IMMUTABLE);
  });

  router.get('/workloads/:id/result', async (req, res, next) => {
    const format = req.query.format;
    if (format !== 'csv' && format !== 'bin') {
      next();
      return;
    }
    const record = await coordinator.requireWorkload(req.params.id);
    if (record.kind !== 'inference') {
      if (format === 'bin') next();
      else {
        throw new TesseraError(
          ERROR_CODES.badRequest,
          `format=csv is for inference workloads; ${record.id} is ${record.kind}`,
        );
      }
      return;
    }
    const spec = kind.parseSpec(record.spec);
    const answer = await coordinator.transaction((tx) => inferenceAnswer(record, spec, tx));
    const final = record.status === 'completed';
    res.setHeader('X-Tessera-Final', String(final));
    res.setHeader('Cache-Control', 'no-cache');
    if (format === 'bin') {
      if (!final) {
        throw new TesseraError(
          ERROR_CODES.notReady,
          `workload ${record.id} is ${record.status}: the binary answer is whole, ask again when it completes (CSV gives the rows so far)`,
        );
      }
      const bytes = encodeInferenceResult({
        classes: answer.classes,
        probabilities: answer.probabilities,
        classCount: answer.classCount,
      });
      sendBytes(res, new Uint8Array(bytes), 'no-cache');
      return;
    }
    const k = answer.classCount;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${record.id}.csv"`);
    const header = ['row', 'class', ...Array.from({ length: k }, (_, j) => `p${j}`)].join(',');
    let lines: string[] = [header];
    for (let n = 0; n < answer.rows; n++) {
      if (!answer.done[n]) continue;
      const probabilities = answer.probabilities.subarray(n * k, n * k + k);
      lines.push(
        `${n},${answer.classes[n]},${Array.from(probabilities, probabilityText).join(',')}`,
      );
      if (lines.length >= CSV_CHUNK_ROWS) {
        res.write(lines.join('\n') + '\n');
        lines = [];
      }
    }
    res.end(lines.length > 0 ? lines.join('\n') + '\n' : '');
  });

  return router;
}
