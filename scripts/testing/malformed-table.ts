import type { FieldSpec } from "./malformed-values";
import { OPEN_POLICY } from "./environments";

/**
 * What the server-action fuzz (malformed.integration.test.ts) knows about each
 * action: the fields of its input and their kinds, and a well-formed input
 * against the fixtures it sets up (`base`). Each field is sent, one at a time,
 * every malformed value of its kind (scripts/testing/malformed-values.ts); the
 * whole input is also replaced by non-objects. An exported action missing from
 * this table fails the suite. Test support only.
 */
export type Fixtures = {
  functionId: string;
  environmentId: string;
  protectedEnvironmentId: string;
  modelRefId: string;
  otherModelRefId: string;
  sampleSetId: string;
  runId: string;
  requestId: string;
  memberId: string;
  tokenId: string;
  webhookId: string;
  nyckelUrl: string;
  nyckelClientId: string;
  nyckelClientSecret: string;
};

export type ActionEntry =
  | { fields: Record<string, FieldSpec>; base: (f: Fixtures) => Record<string, unknown> }
  /** Takes no input: malformed input is ignored. `writes`: it changes state when it runs (run outside the fingerprint window). */
  | { noInput: true; writes: boolean }
  /** Not built with the action client; why, and where it is covered instead. */
  | { excluded: string };

const text: FieldSpec = { kind: "text" };
const optionalText: FieldSpec = { kind: "optionalText", optional: true };
const uuid: FieldSpec = { kind: "uuid" };
const functionId: FieldSpec = { kind: "functionId" };
const policyFields: Record<string, FieldSpec> = {
  protected: { kind: "boolean" },
  approvalsRequired: { kind: "coercedInt" },
  rejectionBlocks: { kind: "boolean" },
  requestExpiryHours: { kind: "coercedInt", nullable: true },
  minAgreementPct: { kind: "percent", nullable: true },
  minAnsweredSamples: { kind: "coercedInt", optional: true },
  maxErrorPct: { kind: "percent", optional: true },
  gateLowerBound: { kind: "boolean", optional: true },
  allowCallerModelOverride: { kind: "boolean", optional: true },
  watchNewModels: { kind: "boolean", optional: true },
  // Every malformed "percent" (negative, over 100, NaN…) is outside (0, 0.5) too.
  driftSignificance: { kind: "percent", optional: true },
};
const webhookFields: Record<string, FieldSpec> = {
  name: text,
  url: { kind: "url" },
  events: { kind: "eventList" },
  format: { kind: "enum" },
  active: { kind: "boolean" },
};
const webhook = { name: "Fuzz hook", url: "http://127.0.0.1:9/hook", events: ["request.opened"], format: "json", active: false };
const nyckelFields: Record<string, FieldSpec> = { baseUrl: { kind: "url" }, clientId: text, clientSecret: optionalText };
const decision = (comment: FieldSpec): ActionEntry => ({ fields: { requestId: uuid, comment }, base: (f) => ({ requestId: f.requestId, comment: "fuzz" }) });
/** The fixtures have no shadow: the shadow actions' well-formed input names one that does not exist (a clear "not found"). */
const UNKNOWN_SHADOW = "00000000-0000-4000-8000-00000000a5ad";
const byId = (key: keyof Fixtures): ActionEntry => ({ fields: { id: uuid }, base: (f) => ({ id: f[key] }) });

/** Keyed by "<file>#<export>". */
export const ACTION_TABLE: Record<string, ActionEntry> = {
  "lib/audit/actions.ts#verifyAuditChainAction": { noInput: true, writes: false },
  "lib/session/actions.ts#signInWithPasswordAction": { excluded: "Auth.js sign-in (FormData, not the action client): e2e/sign-in.spec.ts" },
  "lib/session/actions.ts#signInWithSsoAction": { excluded: "Auth.js SSO redirect (not the action client): e2e/sso.spec.ts" },
  "lib/session/actions.ts#signOutAction": { excluded: "Auth.js sign-out (no input)" },

  "lib/compare/actions.ts#startComparisonRunAction": {
    fields: { functionId, sampleSetId: uuid, modelA: { kind: "modelChoice" }, modelB: { kind: "modelChoice" } },
    base: (f) => ({ functionId: f.functionId, sampleSetId: f.sampleSetId, modelA: { kind: "latest" }, modelB: { kind: "model", modelRefId: f.modelRefId } }),
  },
  "lib/compare/actions.ts#cancelComparisonRunAction": { fields: { runId: uuid }, base: (f) => ({ runId: f.runId }) },
  "lib/compare/actions.ts#quickCompareAction": {
    fields: { functionId, modelA: { kind: "modelChoice" }, modelB: { kind: "modelChoice" }, sample: { kind: "sample" } },
    base: (f) => ({ functionId: f.functionId, modelA: { kind: "latest" }, modelB: { kind: "model", modelRefId: f.modelRefId }, sample: { kind: "text", text: "hello" } }),
  },

  "lib/environments/actions.ts#createEnvironmentAction": {
    fields: { slug: { kind: "identifier" }, name: text, sortOrder: { kind: "coercedInt" }, ...policyFields },
    base: () => ({ slug: "fuzz-new", name: "Fuzz new", sortOrder: 5, ...OPEN_POLICY }),
  },
  "lib/environments/actions.ts#updateEnvironmentAction": {
    fields: { id: uuid, name: text, sortOrder: { kind: "coercedInt" }, ...policyFields },
    base: (f) => ({ id: f.environmentId, name: "Fuzz renamed", sortOrder: 6, ...OPEN_POLICY }),
  },

  "lib/functions/actions.ts#syncFunctionsAction": { noInput: true, writes: true },
  "lib/functions/actions.ts#setGoldenSetAction": {
    fields: { functionId, sampleSetId: { kind: "uuid", nullable: true } },
    base: (f) => ({ functionId: f.functionId, sampleSetId: f.sampleSetId }),
  },
  "lib/drift/actions.ts#evaluateLatestNowAction": { fields: { functionId }, base: (f) => ({ functionId: f.functionId }) },

  "lib/shadow/actions.ts#startShadowAction": {
    fields: { functionId, environmentId: uuid, candidateModelRefId: uuid, sharePct: { kind: "coercedInt" }, maxPerSecond: { kind: "coercedInt", optional: true }, keepInputs: { kind: "boolean", optional: true }, reason: optionalText },
    base: (f) => ({ functionId: f.functionId, environmentId: f.environmentId, candidateModelRefId: f.otherModelRefId, sharePct: 10, reason: "fuzz" }),
  },
  "lib/shadow/actions.ts#changeShadowAction": {
    fields: { shadowId: uuid, sharePct: { kind: "coercedInt", optional: true }, maxPerSecond: { kind: "coercedInt", optional: true }, keepInputs: { kind: "boolean", optional: true }, reason: optionalText },
    base: () => ({ shadowId: UNKNOWN_SHADOW, sharePct: 20, reason: "fuzz" }),
  },
  "lib/shadow/actions.ts#stopShadowAction": { fields: { shadowId: uuid, reason: optionalText }, base: () => ({ shadowId: UNKNOWN_SHADOW, reason: "fuzz" }) },
  "lib/shadow/actions.ts#freezeShadowEvidenceAction": { fields: { shadowId: uuid }, base: () => ({ shadowId: UNKNOWN_SHADOW }) },

  "lib/members/actions.ts#createMemberAction": {
    fields: { email: { kind: "email" }, name: text, role: { kind: "enum" }, password: { kind: "password" } },
    base: () => ({ email: "fuzz-new@example.com", name: "Fuzz New", role: "viewer", password: "a long enough password" }),
  },
  "lib/members/actions.ts#changeMemberRoleAction": { fields: { userId: uuid, role: { kind: "enum" } }, base: (f) => ({ userId: f.memberId, role: "editor" }) },
  "lib/members/actions.ts#setMemberActiveAction": { fields: { userId: uuid, active: { kind: "boolean" } }, base: (f) => ({ userId: f.memberId, active: false }) },
  "lib/members/actions.ts#setOneTimePasswordAction": { fields: { userId: uuid }, base: (f) => ({ userId: f.memberId }) },
  "lib/session/account-actions.ts#changeOwnPasswordAction": {
    fields: { currentPassword: { kind: "password" }, newPassword: { kind: "password" }, confirmPassword: { kind: "password" } },
    base: () => ({ currentPassword: "not the password", newPassword: "a long enough password", confirmPassword: "a long enough password" }),
  },

  "lib/models/actions.ts#registerModelAction": {
    fields: { functionId, modelId: { kind: "identifier" }, nickname: text, notes: optionalText },
    base: (f) => ({ functionId: f.functionId, modelId: "model_fuzznew", nickname: "Fuzz new", notes: "" }),
  },
  "lib/models/actions.ts#updateModelAction": {
    fields: { id: uuid, nickname: text, notes: optionalText },
    base: (f) => ({ id: f.modelRefId, nickname: "Fuzz renamed", notes: "n" }),
  },
  "lib/models/actions.ts#retireModelAction": byId("otherModelRefId"),
  "lib/models/actions.ts#restoreModelAction": byId("otherModelRefId"),
  "lib/models/actions.ts#checkModelAction": {
    fields: { id: uuid, sample: { kind: "sample" } },
    base: (f) => ({ id: f.modelRefId, sample: { kind: "text", text: "hello" } }),
  },

  "lib/nyckel-settings/actions.ts#saveNyckelSettingsAction": {
    fields: nyckelFields,
    base: (f) => ({ baseUrl: f.nyckelUrl, clientId: f.nyckelClientId, clientSecret: f.nyckelClientSecret }),
  },
  "lib/nyckel-settings/actions.ts#testNyckelConnectionAction": {
    fields: nyckelFields,
    base: (f) => ({ baseUrl: f.nyckelUrl, clientId: f.nyckelClientId, clientSecret: f.nyckelClientSecret }),
  },

  "lib/pins/actions.ts#setPinAction": {
    fields: {
      environmentId: uuid,
      functionId,
      modelRefId: { kind: "uuid", nullable: true },
      expectedVersion: { kind: "int" },
      reason: text,
      kind: { kind: "enum" },
      breakGlass: { kind: "boolean", optional: true },
      restoreVersion: { kind: "int", optional: true },
    },
    base: (f) => ({ environmentId: f.environmentId, functionId: f.functionId, modelRefId: f.modelRefId, expectedVersion: 0, reason: "fuzz", kind: "pin" }),
  },

  "lib/promotions/actions.ts#createPromotionRequestAction": {
    fields: { functionId, environmentId: uuid, targetModelRefId: { kind: "uuid", nullable: true }, reason: text, evidenceRunId: { kind: "uuid", nullable: true, optional: true } },
    base: (f) => ({ functionId: f.functionId, environmentId: f.protectedEnvironmentId, targetModelRefId: f.otherModelRefId, reason: "fuzz" }),
  },
  "lib/promotions/actions.ts#approvePromotionRequestAction": decision(optionalText),
  "lib/promotions/actions.ts#rejectPromotionRequestAction": decision(text),
  "lib/promotions/actions.ts#cancelPromotionRequestAction": decision(optionalText),

  "lib/samples/actions.ts#renameSampleSetAction": { fields: { id: uuid, name: text }, base: (f) => ({ id: f.sampleSetId, name: "Fuzz renamed" }) },
  "lib/samples/actions.ts#deleteSampleSetAction": byId("sampleSetId"),

  "lib/tokens/actions.ts#createApiTokenAction": {
    fields: { name: text, environmentId: uuid, expiresInDays: { kind: "coercedInt", nullable: true, optional: true } },
    base: (f) => ({ name: "Fuzz token", environmentId: f.environmentId, expiresInDays: 30 }),
  },
  "lib/tokens/actions.ts#revokeApiTokenAction": byId("tokenId"),

  "lib/webhooks/actions.ts#createWebhookAction": { fields: webhookFields, base: () => webhook },
  "lib/webhooks/actions.ts#updateWebhookAction": { fields: { id: uuid, ...webhookFields }, base: (f) => ({ id: f.webhookId, ...webhook, name: "Fuzz hook 2" }) },
  "lib/webhooks/actions.ts#deleteWebhookAction": byId("webhookId"),
  "lib/webhooks/actions.ts#rotateWebhookSecretAction": byId("webhookId"),
  "lib/webhooks/actions.ts#revealWebhookSecretAction": byId("webhookId"),
  "lib/webhooks/actions.ts#sendTestWebhookAction": byId("webhookId"),
};
