// `npm run bench`: runs each benchmark section in turn and prints its table as soon as it
// finishes. A section is an async function returning rows; add one to SECTIONS to extend the
// bench. Exits non-zero when any row reports a wrong answer (a mismatch is a bug, not a figure).
import { cpus } from 'node:os';
import { formatRows, type BenchSection } from './benchRow';
import { benchCoordinator } from './coordinator';
import { benchGradientUnits } from './gradient';
import { benchPiKernels } from './kernels';
import { benchIsingKernels } from './isingKernels';
import { benchOptionKernels } from './optionKernels';

const progress = (line: string) => process.stderr.write(`  .. ${line}\n`);

const SECTIONS: BenchSection[] = [
  {
    title: 'pi kernel, samples/s: fastest of 3 runs, relative to native C',
    run: () => benchPiKernels({ log: progress }),
  },
  {
    title: 'ising-2d kernel, spin flips/s: fastest of 3 runs, relative to native C on the same L',
    run: () => benchIsingKernels({ log: progress }),
  },
  {
    title: 'european-option kernel, samples/s: fastest of 3 runs, relative to native C',
    run: () => benchOptionKernels({ log: progress }),
  },
  {
    title:
      'gradient unit (256 MNIST digits), examples/s: fastest of 3, relative to the TypeScript reference',
    run: () => benchGradientUnits({ log: progress }),
  },
  {
    title: 'coordinator, validated units/s (relative to the store alone)',
    run: () => benchCoordinator({ log: progress }),
  },
];

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(
    `tessera bench: node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}\n`,
  );
  let problems = 0;
  for (const section of SECTIONS) {
    const started = performance.now();
    const rows = await section.run();
    console.log(formatRows(section.title, rows));
    console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    problems += rows.filter((row) => row.problem !== undefined).length;
  }
  if (problems > 0) {
    console.error(`${problems} benchmark row(s) computed a wrong answer: see !!! above`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
