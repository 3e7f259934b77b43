// [S1]-[S3] Which workload a lease serves: weighted fair share between researchers' tokens,
// then priority, then first come first served. Stateless: it weighs what is in flight now, so
// every coordinator process sharing a store orders workloads the same way.
import type { ActiveWorkload } from './repository';

/**
 * Active workloads in the order leases should try them: owners by in-flight replicas per unit of
 * share, lowest first ([S1]; ties: the owner with the oldest workload); within an owner, higher
 * priority first ([S2]), then older first ([S3]). Workloads without an owner (the environment
 * token, workloads from before shares) share one owner of share 1.
 */
export function fairShareOrder(active: readonly ActiveWorkload[]): ActiveWorkload[] {
  const owners = new Map<
    string,
    { share: number; inFlight: number; oldest: number; list: ActiveWorkload[] }
  >();
  for (const w of active) {
    const key = w.owner ?? '';
    let owner = owners.get(key);
    if (!owner) {
      owner = { share: Math.max(1, w.share), inFlight: 0, oldest: w.createdAt, list: [] };
      owners.set(key, owner);
    }
    owner.inFlight += w.inFlight;
    owner.oldest = Math.min(owner.oldest, w.createdAt);
    owner.list.push(w);
  }
  return [...owners.values()]
    .sort((a, b) => a.inFlight / a.share - b.inFlight / b.share || a.oldest - b.oldest)
    .flatMap((owner) =>
      owner.list.sort(
        (a, b) => b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1),
      ),
    );
}
