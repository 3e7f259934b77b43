// The text of `tessera --help`: every command, option, environment variable and exit code.
import { DEFAULT_URL } from './connection';

export const USAGE = `Usage: tessera <command> [options]

Researcher commands (talk to a coordinator over its REST API):
  submit FILE [--wait [--interval SECONDS] [--json | --out FILE]]
      Submit the workload described by FILE (JSON, e.g. examples/pi.json; - reads stdin).
      Prints the new workload's id. With --wait, shows live progress (units validated /
      total, percentage, ETA; for a gradient workload also its step, training loss and
      held-out accuracy) until the workload ends, then sums up its result in words (an
      estimate with its error, a trained model's accuracy and loss). --json: print the
      result as JSON on stdout too; --out FILE: write the JSON to FILE (tessera result ID
      gives it at any time). --interval: seconds between progress polls (default 1).
  submit --wgsl KERNEL.wgsl --outputs NAMES --samples N --seed S [--samples-per-unit U]
         [--tolerance T] [--name NAME] [--wait [--interval SECONDS] [--json | --out FILE]]
      Submit your own Monte Carlo kernel: KERNEL.wgsl defines fn sample() -> array<f32, K>
      and may call uniform() (next f32 in [0, 1)) and random_u32(). --outputs names the K
      values it returns, comma-separated (1 to 8, e.g. hit,steps); the result is the mean of
      each over N samples with its standard error and 95% interval. Numbers may be written
      100000000, 1e8 or 2^27. Only volunteers whose tab has WebGPU run kernel units. A kernel
      that does not compile is refused with the line and column the compiler points at.
      --tolerance: the relative tolerance replicas are compared within (0 to 0.01; default 0
      for a kernel of + - * and comparisons only, else 1e-3: exp, log, sin... round per device).
  status [ID] [--json]
      One workload in detail (a gradient workload with its step, loss and accuracy), or a
      table of every workload.
  result ID [--out FILE] [--format json|bin|csv]
      The workload's result as JSON (partial while it runs), on stdout or into FILE.
      --format bin (gradient workloads, needs --out): its parameters as float32 bytes,
      little-endian, the current ones while it trains, the final ones once it completed.
      --format csv (inference workloads): one line per predicted row, row,class,p0,p1,...
  cancel ID
      Cancel a queued or running workload.

Dataset commands (your own data to train on, kept by the coordinator):
  dataset upload FILE [--name NAME] [--label-column first|last|N] [--json]
      Upload FILE, a CSV table: a header row of column names, numeric feature columns, and
      optionally a column "label" (anywhere) of whole-number classes; or a NumPy .npy file (a
      2-D float32/float64 array; --label-column: which column holds the classes, its first,
      its last or a 0-based index; --label-last is --label-column last). The file is streamed
      (a bar shows the bytes sent on a terminal) and checked as it arrives: a refusal names the
      line and column. Prints the dataset's id (--json: the whole record) and sums it up on
      stderr; the same content uploaded again gives the same dataset. --name: what to call
      it (default: FILE's name).
  dataset list [--json]
      A table of the coordinator's datasets: id, name, rows, features, classes, size.
  dataset delete ID
      Delete a dataset; refused while a queued or running workload uses it.

Operator commands (act on the local data folder, no server needed):
  token create --name NAME [--share N] [--data DIR]
      Create a researcher token in the coordinator's data folder (see Data folder below).
      The token is printed once; only its hash is stored.

Options:
  --url URL      Coordinator URL. Default: $TESSERA_URL, else ${DEFAULT_URL}.
  --token TOKEN  Researcher token (submit, cancel, dataset upload and delete need one).
                 Default: $TESSERA_TOKEN, else researcher.token in the data folder, which the
                 coordinator writes on its first start.
  -h, --help     Show this help.

Data folder: --data DIR (token create), else $TESSERA_DATA, else the nearest data/ holding
researcher.token or tessera.sqlite in the current folder or a folder above it, up to the
root of the Tessera checkout; so the commands work from the repository root and from any
folder inside it (server/, examples/...).

Output: results (ids, JSON) go to stdout; messages and progress go to stderr. Progress is
one line redrawn in place on a terminal, and a plain line every few seconds otherwise.

Exit codes:
  0    success
  1    the coordinator refused the request (invalid spec or CSV, unknown id, already
       ended, dataset in use), or the workload failed or was cancelled
  2    usage error: bad arguments, or FILE cannot be read (as JSON) (nothing was sent)
  3    cannot reach the coordinator (or what answered is not one), or it refused the token
  130  interrupted (Ctrl-C) while waiting (the workload goes on) or uploading (nothing is
       stored)

Examples:
  tessera submit examples/pi.json --wait
  tessera status
  tessera result 3hVq0x9tYk2b --out pi-result.json
  tessera submit --wgsl walk.wgsl --outputs hit,steps --samples 1e8 --seed 1 --wait
  tessera submit examples/mnist-softmax.json --wait --out mnist-result.json
  tessera result 7mXc2pQa9LwE --format bin --out params.bin
  tessera dataset upload iris.csv
  tessera dataset list
  TESSERA_URL=http://lab-server:8080 TESSERA_TOKEN=tsr_... tessera cancel 3hVq0x9tYk2b
`;
