import { z } from "zod";

// Zod's JIT probes `new Function`, which the pages' CSP (no 'unsafe-eval') reports as a violation.
// Imported (for this effect) by the client modules that parse with zod in the browser, so pages
// without zod do not load it (it used to sit in the root layout's Providers).
z.config({ jitless: true });
