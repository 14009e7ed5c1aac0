import type { Metadata } from "next";
import { WebhooksClient } from "@/components/webhooks/webhooks-client";
import { requirePagePermission } from "@/lib/session/current";
import { listWebhooks, webhookUrlPolicy } from "@/lib/webhooks/queries";

export const metadata: Metadata = { title: "Webhooks" };

export default async function WebhooksPage() {
  await requirePagePermission("webhooks:manage");
  const webhooks = await listWebhooks();
  return <WebhooksClient webhooks={webhooks} allowInsecure={webhookUrlPolicy().allowInsecure} />;
}
