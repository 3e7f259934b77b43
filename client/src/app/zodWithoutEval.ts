// Imported first by every entry (the page, the volunteer worker, the CPU compute workers): zod
// compiles fast object parsers with `new Function` where eval is allowed, and probes for it on
// the first parse. The coordinator's Content-Security-Policy allows no eval, so the probe would
// be refused and reported as a violation on every load; without the compiled parsers zod never
// probes (messages here are small: the interpreted parsers are fast enough).
import { z } from 'zod';

z.config({ jitless: true });
