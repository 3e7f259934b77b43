// The process around `main`: real streams, environment and Ctrl-C. bin/tessera.mjs runs this.
import { main } from './tessera';

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
}).then((code) => {
  process.exitCode = code;
});
