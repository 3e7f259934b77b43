// One gradient-rounds row (MNIST softmax, 2 volunteer threads) and the one-process baseline, to
// look at where a round's time goes, e.g. with the coordinator thread profiled:
//   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/rounds scripts/bench/profileRounds.ts
// Not part of `npm run bench` (its section `gradient-rounds` runs every row).
import { benchGradientRounds } from './gradientRounds';

const rows = await benchGradientRounds({ quick: true, log: (line) => console.error(line) });
for (const row of rows) console.log(`${row.name}: ${row.note}`);
