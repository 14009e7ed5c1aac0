"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { webhookIdSchema } from "./schemas";
import {
  createWebhook,
  deleteWebhook,
  revealWebhookSecret,
  rotateWebhookSecret,
  sendTestWebhook,
  serverWebhookSchemas,
  updateWebhook,
} from "./service";

const webhooksAction = permittedActionClient("webhooks:manage");

function revalidate(id?: string) {
  revalidatePath("/settings/webhooks");
  if (id) revalidatePath(`/settings/webhooks/${id}`);
}

export const createWebhookAction = webhooksAction
  .inputSchema(async () => serverWebhookSchemas().create)
  .action(async ({ parsedInput, ctx }) => {
    const { webhook, secret } = await createWebhook(ctx.service, parsedInput);
    revalidate();
    return { id: webhook.id, name: webhook.name, secret };
  });

export const updateWebhookAction = webhooksAction
  .inputSchema(async () => serverWebhookSchemas().update)
  .action(async ({ parsedInput, ctx }) => {
    const webhook = await updateWebhook(ctx.service, parsedInput);
    revalidate(webhook.id);
    return { id: webhook.id, name: webhook.name, active: webhook.active };
  });

export const deleteWebhookAction = webhooksAction.inputSchema(webhookIdSchema).action(async ({ parsedInput, ctx }) => {
  const deleted = await deleteWebhook(ctx.service, parsedInput);
  revalidate();
  return deleted;
});

export const rotateWebhookSecretAction = webhooksAction.inputSchema(webhookIdSchema).action(async ({ parsedInput, ctx }) => {
  return rotateWebhookSecret(ctx.service, parsedInput);
});

export const revealWebhookSecretAction = webhooksAction.inputSchema(webhookIdSchema).action(async ({ parsedInput, ctx }) => {
  return revealWebhookSecret(ctx.service, parsedInput);
});

export const sendTestWebhookAction = webhooksAction.inputSchema(webhookIdSchema).action(async ({ parsedInput, ctx }) => {
  const result = await sendTestWebhook(ctx.service, parsedInput);
  revalidate(parsedInput.id);
  return result;
});
