import type { Metadata } from "next";
import { headers } from "next/headers";
import { ApiReference } from "@/components/api-docs/api-reference";
import { PageHeader } from "@/components/ui/page-header";
import { getOpenApiDocument } from "@/lib/api/openapi";
import { publicBaseUrl } from "@/lib/api/base-url";
import { can } from "@/lib/auth/permissions";
import { requirePagePermission } from "@/lib/session/current";

export const metadata: Metadata = { title: "API" };

export default async function ApiDocsPage() {
  const user = await requirePagePermission("pins:read");
  const doc = getOpenApiDocument();
  const baseUrl = publicBaseUrl(await headers());
  return (
    <>
      <PageHeader
        title="API"
        description="Serve your pins to applications: the resolve API and the Nyckel-compatible invoke proxy."
        actions={
          <a
            href="/api/openapi.json"
            className="inline-flex items-center rounded-md px-3 py-2 text-sm font-medium ring-1 ring-zinc-300 hover:bg-zinc-50 dark:ring-zinc-700 dark:hover:bg-zinc-800"
          >
            OpenAPI JSON
          </a>
        }
      />
      <ApiReference doc={doc} baseUrl={baseUrl} canManageTokens={can(user.role, "tokens:manage")} />
    </>
  );
}
