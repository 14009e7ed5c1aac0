"use server";

import { revalidatePath } from "next/cache";
import { callService, permittedActionClient } from "@/lib/actions/safe-action";
import { checkModelSchema, registerModelSchema, restoreModelSchema, retireModelSchema, updateModelSchema } from "./schemas";
import { checkModel, registerModel, restoreModel, retireModel, updateModel } from "./service";

const modelsAction = permittedActionClient("models:write");

/** After a model changed: the pages that show it, and what the browser gets back. */
function modelChanged(model: { id: string; modelId: string; nickname: string }) {
  revalidatePath("/functions/[functionId]", "page");
  revalidatePath("/audit");
  return { id: model.id, modelId: model.modelId, nickname: model.nickname };
}

export const registerModelAction = modelsAction
  .inputSchema(registerModelSchema)
  .action(callService(registerModel, (model) => ({ ...modelChanged(model), verified: model.verifiedAt !== null })));

export const updateModelAction = modelsAction.inputSchema(updateModelSchema).action(callService(updateModel, modelChanged));

export const retireModelAction = modelsAction.inputSchema(retireModelSchema).action(callService(retireModel, modelChanged));

export const restoreModelAction = modelsAction.inputSchema(restoreModelSchema).action(callService(restoreModel, modelChanged));

export const checkModelAction = modelsAction.inputSchema(checkModelSchema).action(
  callService(checkModel, (result) => {
    revalidatePath("/functions/[functionId]", "page"); // an answer verifies a model saved as not verified
    revalidatePath("/audit");
    return result;
  }),
);
