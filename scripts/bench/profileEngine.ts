import { benchCoordinatorEngineOnly } from './coordinator';
const row = await benchCoordinatorEngineOnly(
  Number(process.argv[2] ?? 4000),
  Number(process.argv[3] ?? 16),
);
console.log(row.note, (row.work / row.seconds).toFixed(0), 'units/s');
