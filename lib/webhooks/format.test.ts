import { describe, expect, it } from "vitest";
import { renderWebhookBody, slackText, type WebhookEnvelope } from "./format";

const pinChanged: WebhookEnvelope = {
  id: "e1",
  type: "pin.changed",
  createdAt: "2026-01-01T00:00:00.000Z",
  data: {
    function: { id: "function_1", name: "Fraud <v2>" },
    environment: { id: "env", slug: "production", name: "Production" },
    kind: "pin",
    breakGlass: false,
    before: { version: 1, modelId: "model_a", nickname: "Alpha" },
    after: { version: 2, modelId: "model_b", nickname: "Beta" },
    reason: "better recall",
    actor: "ed@example.com",
  },
};

describe("webhook bodies", () => {
  it("JSON is the envelope as is", () => {
    expect(JSON.parse(renderWebhookBody("json", pinChanged))).toEqual(pinChanged);
  });

  it("Slack-compatible is { text } with one readable sentence, Slack-escaped", () => {
    const body = JSON.parse(renderWebhookBody("slack", pinChanged)) as { text: string };
    expect(Object.keys(body)).toEqual(["text"]);
    expect(body.text).toBe("ed@example.com pinned *Fraud &lt;v2&gt;* in *Production* to Beta (model_b) (was Alpha (model_a)). Reason: “better recall”");
  });

  it("describes a discovered model", () => {
    const discovered: WebhookEnvelope = {
      id: "e3",
      type: "model.discovered",
      createdAt: "",
      data: { function: { id: "function_1", name: "Fraud" }, model: { modelId: "model_new" }, previousModelId: "model_old", actor: "system (scheduled sync)" },
    };
    expect(slackText(discovered)).toBe("Nyckel has a new current model for *Fraud*: model_new (was model_old).");
    expect(slackText({ ...discovered, data: { ...discovered.data, previousModelId: null } })).toBe("Nyckel has a new current model for *Fraud*: model_new.");
  });

  it("describes unpins, break-glass changes, requests and test events", () => {
    expect(slackText({ ...pinChanged, data: { ...pinChanged.data, kind: "unpin", breakGlass: true, after: { version: 3, modelId: null } } })).toBe(
      ":rotating_light: Break-glass: ed@example.com unpinned *Fraud &lt;v2&gt;* in *Production* to latest (was Alpha (model_a)). Reason: “better recall”",
    );
    expect(
      slackText({
        id: "e2",
        type: "request.approved",
        createdAt: "",
        data: { function: { name: "Fraud" }, environment: { name: "Production" }, model: { modelId: "model_b", nickname: "Beta" }, actor: "ann@example.com" },
      }),
    ).toBe("Promotion of *Fraud* in *Production* to Beta (model_b) approved by ann@example.com.");
    expect(slackText({ id: "t", type: "webhook.test", createdAt: "", data: { webhook: { name: "Ops" }, actor: "admin@example.com" } })).toBe(
      "Modelpin test event for webhook “Ops”: deliveries to this URL work. Sent by admin@example.com.",
    );
  });

  it("describes drift watch's verdicts", () => {
    const data = { function: { name: "Fraud" }, environment: { name: "Staging" }, candidate: { modelId: "model_c" }, actor: "drift watch" };
    expect(slackText({ id: "d1", type: "drift.candidate", createdAt: "", data: { ...data, request: { id: "r", number: 7 }, verdict: "agreement 93% (95% CI 89–96%, 186 of 200)" } })).toBe(
      "Drift watch opened a candidate: *Fraud* in *Staging* to model_c (request #7). agreement 93% (95% CI 89–96%, 186 of 200).",
    );
    expect(slackText({ id: "d2", type: "drift.rejected", createdAt: "", data: { ...data, request: null, verdict: "agreement 35% (95% CI 29–42%) is below Staging's 80%" } })).toBe(
      "Drift watch rejected model_c for *Fraud* in *Staging*: agreement 35% (95% CI 29–42%) is below Staging's 80%.",
    );
  });
});
