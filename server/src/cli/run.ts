// The process around `main`: real streams, environment and Ctrl-C. bin/tessera.mjs runs this.
import { EXIT, main } from './tessera';

let interruptHandler: (() => void) | null = null;
process.on('SIGINT', () => {
  if (!interruptHandler) process.exit(130);
  const handler = interruptHandler;
  // A second Ctrl-C quits at once.
  interruptHandler = null;
  handler();
});

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  now: () => Date.now(),
  onInterrupt(handler) {
    interruptHandler = handler;
    return () => {
      if (interruptHandler === handler) interruptHandler = null;
    };
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // main() answers every failure with an exit code, so this is a fault in that answer itself
    // (explaining an error threw): print the stack, for a bug report.
    console.error(error);
    process.exitCode = EXIT.failure;
  },
);
