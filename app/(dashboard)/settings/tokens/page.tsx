import type { Metadata } from "next";
import { headers } from "next/headers";
import { TokensClient } from "@/components/tokens/tokens-client";
import { publicBaseUrl } from "@/lib/api/base-url";
import { requirePagePermission } from "@/lib/session/current";
import { listEnvironments } from "@/lib/environments/queries";
import { listApiTokens } from "@/lib/tokens/queries";

export const metadata: Metadata = { title: "API tokens" };

export default async function TokensPage() {
  await requirePagePermission("tokens:manage");
  const [tokens, environments, requestHeaders] = await Promise.all([listApiTokens(), listEnvironments(), headers()]);
  return (
    <TokensClient
      origin={publicBaseUrl(requestHeaders)}
      environments={environments.map((e) => ({ id: e.id, slug: e.slug, name: e.name }))}
      tokens={tokens}
    />
  );
}
