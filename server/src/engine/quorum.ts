// Quorum validation as a pure decision: given a unit's returned results and in-flight replicas,
// decide whether a result is canonical, whether to wait, to issue more replicas, or to fail.
// Rules Q1-Q5 in server/SPEC.md.

export interface ReturnedResult<R> {
  replicaId: number;
  result: R;
}

export interface QuorumInput<R> {
  /** Results returned and not yet judged, oldest first. */
  returned: ReadonlyArray<ReturnedResult<R>>;
  /** Replicas still computing. */
  inFlight: number;
  /** Result-bearing replicas used so far, judged ones included. */
  resultsSoFar: number;
  quorum: number;
  maxReplicas: number;
  same(a: R, b: R): boolean;
  /**
   * [Q6] The coordinator can settle a contested unit itself (the kind has a reference and the
   * arbitration budget allows): standing results that disagree are then arbitrated, not voted.
   */
  arbitrate?: boolean;
}

export type QuorumDecision<R> =
  | { kind: 'validated'; canonical: R; agreeing: number[]; disagreeing: number[] }
  | { kind: 'wait' }
  | { kind: 'arbitrate' }
  | { kind: 'issue'; wanted: number }
  | { kind: 'fail'; reason: string };

export function decideQuorum<R>(input: QuorumInput<R>): QuorumDecision<R> {
  const groups: Array<{ result: R; ids: number[] }> = [];
  for (const { replicaId, result } of input.returned) {
    const group = groups.find((g) => input.same(g.result, result));
    if (group) group.ids.push(replicaId);
    else groups.push({ result, ids: [replicaId] });
  }
  // [Q6] Disagreement with an arbiter at hand: the coordinator's own answer decides.
  if (input.arbitrate && groups.length > 1) return { kind: 'arbitrate' };
  // [Q1] The first group (in return order) to reach quorum wins; everyone else disagreed.
  const winner = groups.find((g) => g.ids.length >= input.quorum);
  if (winner) {
    return {
      kind: 'validated',
      canonical: winner.result,
      agreeing: winner.ids,
      disagreeing: groups.filter((g) => g !== winner).flatMap((g) => g.ids),
    };
  }
  const largest = Math.max(0, ...groups.map((g) => g.ids.length));
  const missing = input.quorum - largest - input.inFlight;
  // [Q2] Replicas still computing could complete the quorum: wait for them.
  if (missing <= 0) return { kind: 'wait' };
  // [Q3] Otherwise issue just enough new replicas that agreement with the largest group is possible...
  const wanted = input.resultsSoFar + input.inFlight + missing;
  if (wanted <= input.maxReplicas) return { kind: 'issue', wanted };
  // [Q4] ...unless that would pass the cap: the unit fails, loudly.
  return {
    kind: 'fail',
    reason: `no ${input.quorum} agreeing results within ${input.maxReplicas} replicas (${groups.length} distinct results)`,
  };
}

/** Whether two stored results are the same bytes (then the same result, whatever the kind). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
