// `npm run bench`: runs each benchmark section in turn and prints its table as soon as it
// finishes; `npm run bench -- <id> [<id>...]` runs only the sections named. A section is an
// async function returning rows; add one to SECTIONS to extend the bench. Exits non-zero when
// any row reports a wrong answer (a mismatch is a bug, not a figure).
import { cpus } from 'node:os';
import { formatRows, type BenchSection } from './benchRow';
import { benchCoordinator } from './coordinator';
import { benchGradientUnits } from './gradient';
import { benchGradientRounds } from './gradientRounds';
import { benchInference } from './inference';
import { benchPiKernels } from './kernels';
import { benchIsingKernels } from './isingKernels';
import { benchOptionKernels } from './optionKernels';
import { benchPgDrivers } from './pgDrivers';
import { benchScale } from './scale';
import { benchWgslKernels } from './wgslKernels';

const progress = (line: string) => process.stderr.write(`  .. ${line}\n`);

const SECTIONS: BenchSection[] = [
  {
    id: 'pi',
    title: 'pi kernel, samples/s: fastest of 3 runs, relative to native C',
    run: () => benchPiKernels({ log: progress }),
  },
  {
    id: 'wgsl',
    title:
      'pi as a researcher WGSL kernel vs the built-in pi kernel, samples/s: fastest of 3, relative to native C',
    run: () => benchWgslKernels({ log: progress }),
  },
  {
    id: 'ising',
    title: 'ising-2d kernel, spin flips/s: fastest of 3 runs, relative to native C on the same L',
    run: () => benchIsingKernels({ log: progress }),
  },
  {
    id: 'option',
    title: 'european-option kernel, samples/s: fastest of 3 runs, relative to native C',
    run: () => benchOptionKernels({ log: progress }),
  },
  {
    id: 'gradient',
    title:
      'gradient unit (256 MNIST digits), examples/s: fastest of 3, relative to the TypeScript reference',
    run: () => benchGradientUnits({ log: progress }),
  },
  {
    id: 'coordinator',
    title: 'coordinator, validated units/s (relative to the store alone)',
    run: () => benchCoordinator({ log: progress }),
  },
  {
    id: 'gradient-rounds',
    title:
      'gradient rounds over the coordinator, rounds/s: 2 and 8 volunteer threads vs one process (relative)',
    run: () => benchGradientRounds({ log: progress }),
  },
  {
    id: 'inference',
    title:
      'inference, rows/s: per engine (relative to the TypeScript reference), over the coordinator with 2 and 8 volunteers and 2-hidden-layer training rounds (relative to one process)',
    run: () => benchInference({ log: progress }),
  },
  {
    id: 'pg-drivers',
    title:
      'PostgreSQL drivers on the lease/complete statement pattern, validated units/s (relative to node-postgres)',
    run: () => benchPgDrivers({ log: progress }),
  },
  {
    id: 'scale',
    title:
      'coordinator processes on SQLite and PostgreSQL + Redis, validated units/s (relative to 1 process on SQLite)',
    run: () => benchScale({ log: progress }),
  },
];

/** The sections named on the command line, all when none is; an unknown name is an error. */
function chosenSections(names: readonly string[]): BenchSection[] {
  if (names.length === 0) return SECTIONS;
  const ids = SECTIONS.map((section) => section.id);
  const unknown = names.filter((name) => !ids.includes(name));
  if (unknown.length > 0) {
    throw new Error(`no bench section ${unknown.join(', ')}; sections: ${ids.join(', ')}`);
  }
  return SECTIONS.filter((section) => names.includes(section.id));
}

async function main(): Promise<void> {
  const sections = chosenSections(process.argv.slice(2));
  const cpu = cpus();
  console.log(
    `tessera bench: node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}\n`,
  );
  let problems = 0;
  for (const section of sections) {
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
