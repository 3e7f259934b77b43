// REST resources for workloads (DESIGN.md section 3): submit, list, read, result, cancel. A Monte
// Carlo workload's view says how many tabs online can run it (capableVolunteers.ts).
import { Router } from 'express';
import {
  ERROR_CODES,
  TesseraError,
  submitWorkloadSchema,
  type WorkloadView,
} from '@tessera/shared';
import type { TokenOwner, TokenVerifier } from '../auth/tokens';
import { toWorkloadView, type Coordinator } from '../coordinator';
import type { OnlineView } from '../realtime/onlineVolunteers';
import { withCapableVolunteers } from './capableVolunteers';
import { parseOrThrow } from './parseBody';
import { requireToken } from './requireToken';

export function workloadRoutes(
  coordinator: Coordinator,
  verifier: TokenVerifier,
  online: OnlineView,
): Router {
  const router = Router();
  const auth = requireToken(verifier);
  const present = async (view: WorkloadView) => (await withCapableVolunteers([view], online))[0]!;

  router.post('/workloads', auth, async (req, res) => {
    const input = parseOrThrow(submitWorkloadSchema, req.body, ERROR_CODES.invalidSpec);
    const record = await coordinator.submitWorkload(input, res.locals.owner as TokenOwner);
    res
      .status(201)
      .location(`/api/workloads/${record.id}`)
      .json(await present(toWorkloadView(record)));
  });

  router.get('/workloads', async (_req, res) => {
    const records = await coordinator.reads.listWorkloads();
    res.json(await withCapableVolunteers(records.map(toWorkloadView), online));
  });

  router.get('/workloads/:id', async (req, res) => {
    const view = toWorkloadView(await coordinator.requireWorkload(req.params.id));
    if (view.status === 'running' || view.status === 'queued') {
      view.progress.unitsWaiting = await coordinator.reads.unitsWaiting(view.id);
    }
    res.json(await present(view));
  });

  router.get('/workloads/:id/result', async (req, res) => {
    const record = await coordinator.requireWorkload(req.params.id);
    if (record.unitsValidated === 0) {
      throw new TesseraError(
        ERROR_CODES.notReady,
        `workload ${record.id} has no validated units yet (status ${record.status})`,
        { status: record.status },
      );
    }
    res.json(await coordinator.resultOf(record));
  });

  router.delete('/workloads/:id', auth, async (req, res) => {
    res.json(
      await present(toWorkloadView(await coordinator.cancelWorkload(String(req.params.id)))),
    );
  });

  return router;
}
