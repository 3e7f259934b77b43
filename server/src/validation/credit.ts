// Credit is granted only for validated work, in proportion to the work a unit holds:
// one credit per million samples (or spin flips), whatever device computed it.
export const WORK_PER_CREDIT = 1_000_000;

export function creditFor(work: number): number {
  return work / WORK_PER_CREDIT;
}
