/**
 * The app's services the benches and screenshot scripts drive, in one module.
 * Import it dynamically (`await import("./bench/services")`) after appRuntime():
 * the app's modules read the configuration on first use.
 */
export { systemContext, userContext } from "@/lib/context";
export { createEnvironment } from "@/lib/environments/service";
export { syncFunctions } from "@/lib/functions/service";
export { startFunctionSyncWorker } from "@/lib/functions/scheduled-sync";
export { registerModel } from "@/lib/models/service";
export { setPin } from "@/lib/pins/service";
export { parseCsv, parseTextLines } from "@/lib/samples/parse";
export { createSampleSet } from "@/lib/samples/service";
export { startComparisonWorker } from "@/lib/compare/worker";
export { startDriftWorker } from "@/lib/drift/worker";
export { requestDriftEvaluation } from "@/lib/drift/request";
export { getNyckelClient } from "@/lib/nyckel-settings/connection";
export { stopNyckelBudget } from "@/lib/nyckel/budget/service";
