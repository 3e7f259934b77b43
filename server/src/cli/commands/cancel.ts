// `tessera cancel ID`: stops a queued or running workload (its validated units stay readable).
import { allowOnly, operands, type CliArgs } from '../cliArgs';
import { resolveConnection } from '../connection';
import { EXIT, type ExitCode } from '../exitCodes';
import type { CliIO } from '../output';

export async function cancelCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('cancel', args, ['url', 'token']);
  const [id] = operands('cancel', args, 1, ['ID']) as [string];
  const { client } = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });
  const view = await client.cancel(id);
  io.stderr.write(
    `Cancelled workload ${view.id} "${view.name}" at ${view.progress.unitsValidated}/${view.progress.unitsTotal} units validated.\n`,
  );
  io.stdout.write(`${view.id} ${view.status}\n`);
  return EXIT.ok;
}
