// A researcher's WGSL kernel's answer (`outputs: { name: { mean, stderr, ci95, rejected } }`) as
// a table: one row per output in the kernel's order, the mean to the decimal place its standard
// error supports (the full value on hover), the standard error, the 95% interval, and the
// samples left out for not being finite numbers.
import './kernel.css';

export interface KernelOutput {
  mean: number | null;
  stderr: number | null;
  ci95: [number, number] | null;
  rejected: number | null;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const count = new Intl.NumberFormat('en-US');

/** The outputs of a kernel's result, or null when `result` is not one. */
export function kernelOutputsOf(
  result: Record<string, unknown>,
): Array<[string, KernelOutput]> | null {
  const outputs = result.outputs;
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) return null;
  const rows: Array<[string, KernelOutput]> = [];
  for (const [name, value] of Object.entries(outputs as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) return null;
    const { mean, stderr, ci95, rejected } = value as Record<string, unknown>;
    rows.push([
      name,
      {
        mean: finite(mean) ? mean : null,
        stderr: finite(stderr) ? stderr : null,
        ci95: Array.isArray(ci95) && finite(ci95[0]) && finite(ci95[1]) ? [ci95[0], ci95[1]] : null,
        rejected: finite(rejected) ? rejected : null,
      },
    ]);
  }
  return rows.length > 0 ? rows : null;
}

/** Decimals that show the standard error's first three significant digits (2 to 12). */
export function decimalsFor(stderr: number | null): number {
  if (stderr === null || stderr <= 0) return 6;
  return Math.min(12, Math.max(2, 2 - Math.floor(Math.log10(stderr))));
}

export function KernelOutputs({ rows }: { rows: Array<[string, KernelOutput]> }) {
  return (
    <div className="kernel-outputs-scroll">
      <table className="kernel-outputs" data-testid="kernel-outputs">
        <thead>
          <tr>
            <th scope="col">Output</th>
            <th scope="col" className="num">
              Mean
            </th>
            <th scope="col" className="num">
              ± std. error
            </th>
            <th scope="col" className="num">
              95% interval
            </th>
            <th scope="col" className="num" title="Samples whose value was not a finite number">
              Rejected
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, o]) => {
            const digits = decimalsFor(o.stderr);
            const fixed = (x: number | null) => (x === null ? '—' : x.toFixed(digits));
            return (
              <tr key={name} data-testid={`kernel-output-${name}`}>
                <th scope="row">{name}</th>
                <td className="num" title={o.mean === null ? undefined : String(o.mean)}>
                  {fixed(o.mean)}
                </td>
                <td className="num">{fixed(o.stderr)}</td>
                <td className="num">
                  {o.ci95 ? `[${fixed(o.ci95[0])}, ${fixed(o.ci95[1])}]` : '—'}
                </td>
                <td className="num">{o.rejected === null ? '—' : count.format(o.rejected)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
