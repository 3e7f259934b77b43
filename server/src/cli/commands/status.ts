// `tessera status [ID] [--json]`: one workload in detail (a gradient workload with its step,
// training loss and held-out accuracy), or a table of all of them.
import { allowOnly, operands, type CliArgs } from '../cliArgs';
import { resolveConnection } from '../connection';
import { EXIT, type ExitCode } from '../exitCodes';
import type { CliIO } from '../output';
import { latestTraining } from '../trainingWatch';
import { workloadDetail, workloadTable } from '../workloadText';

export async function statusCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('status', args, ['url', 'token', 'json']);
  const [id] = operands('status', args, 1, ['ID'], 1);
  const { client } = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });
  if (id !== undefined) {
    const view = await client.get(id);
    if (args.values.json) {
      io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      return EXIT.ok;
    }
    const training = view.kind === 'gradient' ? await latestTraining(client, view.id) : undefined;
    io.stdout.write(workloadDetail(view, client.workloadPageUrl(view.id), training));
    return EXIT.ok;
  }
  const views = await client.list();
  if (args.values.json) {
    io.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
  } else if (views.length === 0) {
    io.stderr.write('No workloads yet. Submit one with: tessera submit examples/pi.json --wait\n');
  } else {
    io.stdout.write(workloadTable(views));
  }
  return EXIT.ok;
}
