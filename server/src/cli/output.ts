// The streams a command writes to: process.stdout/stderr in the binary, string sinks in tests.
export interface Output {
  write(text: string): unknown;
  /** True on an interactive terminal: the progress bar redraws one line in place. */
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface CliIO {
  /** Results only (ids, JSON), so `tessera ... > file` and `$(tessera ...)` get clean data. */
  stdout: Output;
  /** Messages and progress for the person watching. */
  stderr: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now(): number;
  /** Runs `handler` on Ctrl-C instead of exiting, until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
}
