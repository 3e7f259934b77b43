// A crew of simulated volunteers in a process of its own, so the coordinator's CPU can be read
// apart from theirs: `node --import tsx scripts/bench/volunteerCrew.ts URL COUNT MAX_UNITS`.
// Prints "ready" once every volunteer is connected, then runs until its parent sends "stop".
import { SimulatedVolunteer } from '../../server/src/sim/simulatedVolunteer';

const [url, countText, maxUnitsText] = process.argv.slice(2);
const count = Number(countText);
const maxUnits = Number(maxUnitsText);
if (!url || !Number.isInteger(count) || count < 1 || !Number.isInteger(maxUnits) || maxUnits < 1) {
  console.error('usage: volunteerCrew.ts URL COUNT MAX_UNITS');
  process.exit(2);
}
const crew = Array.from({ length: count }, () => new SimulatedVolunteer({ url, maxUnits }));
let stopping = false;
process.on('message', (message) => {
  if (message === 'stop') stopping = true;
});
await Promise.all(crew.map((v) => v.connect()));
process.send?.('ready');
await Promise.all(crew.map((v) => v.run(() => stopping)));
crew.forEach((v) => v.close());
process.exit(0);
