// A crew of simulated volunteers in a process of its own, so the coordinator's CPU can be read
// apart from theirs: `node --import tsx scripts/bench/volunteerCrew.ts URL[,URL...] COUNT MAX_UNITS`
// (with several URLs, the volunteers are dealt round-robin over the coordinator processes).
// Prints "ready" once every volunteer is connected, then runs until its parent sends "stop".
import { SimulatedVolunteer } from '../../server/src/sim/simulatedVolunteer';

const [urlList, countText, maxUnitsText] = process.argv.slice(2);
const urls = (urlList ?? '').split(',').filter(Boolean);
const count = Number(countText);
const maxUnits = Number(maxUnitsText);
if (
  urls.length === 0 ||
  !Number.isInteger(count) ||
  count < 1 ||
  !Number.isInteger(maxUnits) ||
  maxUnits < 1
) {
  console.error('usage: volunteerCrew.ts URL[,URL...] COUNT MAX_UNITS');
  process.exit(2);
}
const crew = Array.from(
  { length: count },
  (_, i) => new SimulatedVolunteer({ url: urls[i % urls.length]!, maxUnits }),
);
let stopping = false;
process.on('message', (message) => {
  if (message === 'stop') stopping = true;
});
await Promise.all(crew.map((v) => v.connect()));
process.send?.('ready');
await Promise.all(crew.map((v) => v.run(() => stopping)));
crew.forEach((v) => v.close());
process.exit(0);
