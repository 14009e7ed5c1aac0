"use server";

import { revalidatePath } from "next/cache";
import { permittedActionClient } from "@/lib/actions/safe-action";
import { checkModelSchema, registerModelSchema, restoreModelSchema, retireModelSchema, updateModelSchema } from "./schemas";
import { checkModel, registerModel, restoreModel, retireModel, updateModel } from "./service";

const modelsAction = permittedActionClient("models:write");

function revalidateModels() {
  revalidatePath("/functions/[functionId]", "page");
  revalidatePath("/audit");
}

export const registerModelAction = modelsAction.inputSchema(registerModelSchema).action(async ({ parsedInput, ctx }) => {
  const model = await registerModel(ctx.service, parsedInput);
  revalidateModels();
  return { id: model.id, modelId: model.modelId, nickname: model.nickname };
});

export const updateModelAction = modelsAction.inputSchema(updateModelSchema).action(async ({ parsedInput, ctx }) => {
  const model = await updateModel(ctx.service, parsedInput);
  revalidateModels();
  return { id: model.id, modelId: model.modelId, nickname: model.nickname };
});

export const retireModelAction = modelsAction.inputSchema(retireModelSchema).action(async ({ parsedInput, ctx }) => {
  const model = await retireModel(ctx.service, parsedInput);
  revalidateModels();
  return { id: model.id, modelId: model.modelId, nickname: model.nickname };
});

export const restoreModelAction = modelsAction.inputSchema(restoreModelSchema).action(async ({ parsedInput, ctx }) => {
  const model = await restoreModel(ctx.service, parsedInput);
  revalidateModels();
  return { id: model.id, modelId: model.modelId, nickname: model.nickname };
});

export const checkModelAction = modelsAction.inputSchema(checkModelSchema).action(async ({ parsedInput, ctx }) => {
  const result = await checkModel(ctx.service, parsedInput);
  revalidatePath("/audit");
  return result;
});
