// [C1][C2] Credit is granted only for validated work, in proportion to the work a unit holds:
// one credit per million samples (or spin flips), whatever device computed it. It is kept in
// integer millionths of a credit, so a grant and its withdrawal cancel exactly.
export const WORK_PER_CREDIT = 1_000_000;

/** The credit of a unit's work, in millionths of a credit (= its work, rounded to an integer). */
export function creditMicroFor(work: number): number {
  return Math.round(work);
}

/** Millionths of a credit as the credit figure the API shows. */
export function creditOf(micro: number): number {
  return micro / WORK_PER_CREDIT;
}
