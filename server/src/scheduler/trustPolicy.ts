// Adaptive replication and reputation, as pure functions of a volunteer's record (rules R1-R5 in
// server/SPEC.md). BOINC's scheme is the anchor: replicate everything from new volunteers; let a
// volunteer with a long run of valid results compute alone with a probability that grows with
// the run; reset on one invalid result. Here the replication probability falls with the square
// of the run, spot checks stay random, and lone results stay "unverified" so they can be taken
// back out of the answer if their volunteer is later caught.

export interface TrustPolicy {
  /** Consecutive valid results before a volunteer may run units alone. */
  trustAfter: number;
  /** Share of would-be lone units replicated anyway as a spot check the volunteer can't tell apart. */
  spotCheckRate: number;
  /** Consecutive valid results that make a volunteer's agreement count as verification. */
  establishedAfter: number;
  /** Invalid results (each one resets the streak) before a volunteer is suspended. */
  offenseLimit: number;
  /** How long a suspended volunteer gets no work. */
  suspensionMs: number;
}

/**
 * [R1] Probability that a unit this volunteer opens is replicated: 1 until trusted (a streak of
 * t valid results), then (t / (n + 1))² for a streak of n: 0.83 at n = t = 10, 0.13 at n = 27,
 * 0.01 at n = 100.
 */
export function replicationProbability(consecutiveValid: number, policy: TrustPolicy): number {
  if (consecutiveValid < policy.trustAfter) return 1;
  const ratio = policy.trustAfter / (consecutiveValid + 1);
  return Math.min(1, ratio * ratio);
}

/**
 * [R1][R2] A volunteer runs a unit alone when a draw uniform in [0, 1) falls below this: one
 * minus its replication probability, spot checks (R2) taken out.
 */
export function runAloneBelow(consecutiveValid: number, policy: TrustPolicy): number {
  const alone = 1 - replicationProbability(consecutiveValid, policy);
  return alone * (1 - policy.spotCheckRate);
}

/** [R3] An agreement is verified when one agreeing volunteer has an established record. */
export function isEstablished(consecutiveValid: number, policy: TrustPolicy): boolean {
  return consecutiveValid >= policy.establishedAfter;
}

/** [R5] Repeat offenders are refused work for a time. */
export function suspendedUntil(offenses: number, now: number, policy: TrustPolicy): number | null {
  return offenses >= policy.offenseLimit ? now + policy.suspensionMs : null;
}
