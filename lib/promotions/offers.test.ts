import { describe, expect, it } from "vitest";
import { evidenceOffers, offerHref, type OfferEnvironment } from "./offers";

const now = new Date("2026-12-01T12:00:00Z");
const run = {
  id: "run-1",
  functionId: "fn",
  status: "finished",
  modelA: "m-old",
  modelB: "m-new",
  finishedAt: new Date("2026-12-01T11:00:00Z"),
  total: 40,
  agreement: { n: 40, agree: 38, rate: 0.95 },
};
const env = (id: string, pinModelId: string | null, minAgreementPct: number | null = null): OfferEnvironment => ({
  id,
  name: id,
  protected: minAgreementPct !== null,
  minAgreementPct,
  minAnsweredSamples: 30,
  maxErrorPct: 5,
  gateLowerBound: false,
  pinModelId,
});
const models = [
  { id: "ref-old", modelId: "m-old", nickname: "Old" },
  { id: "ref-new", modelId: "m-new", nickname: "New" },
];

describe("evidenceOffers", () => {
  it("offers the other side to each environment pinned to one side, with the gate's verdict", () => {
    const out = evidenceOffers(run, [env("dev", "m-new"), env("prod", "m-old", 99), env("staging", "m-other")], models, now);
    expect(out.offers).toEqual([
      expect.objectContaining({ environmentId: "dev", target: "ref-old", targetLabel: "Old (m-old)", gateOk: true }),
      expect.objectContaining({ environmentId: "prod", target: "ref-new", targetLabel: "New (m-new)", gateOk: false }),
    ]);
  });

  it("offers latest as a target and skips runs against latest older than 24 hours", () => {
    const latest = { ...run, modelB: null };
    expect(evidenceOffers(latest, [env("prod", "m-old")], models, now).offers).toEqual([expect.objectContaining({ target: "latest", targetLabel: "latest" })]);
    expect(evidenceOffers({ ...latest, finishedAt: new Date("2026-11-29T00:00:00Z") }, [env("prod", "m-old")], models, now).offers).toEqual([]);
  });

  it("offers nothing for unfinished runs or a model against itself, and names unregistered targets", () => {
    expect(evidenceOffers({ ...run, status: "running" }, [env("dev", "m-new")], models, now).offers).toEqual([]);
    expect(evidenceOffers({ ...run, modelA: "m-new" }, [env("dev", "m-new")], models, now).offers).toEqual([]);
    expect(evidenceOffers(run, [env("dev", "m-new")], [models[1]!], now)).toEqual({ offers: [], unregistered: ["m-old"] });
  });

  it("links to the function page's request form with the run as evidence", () => {
    const href = offerHref("fn 1", "run-1", { environmentId: "prod", target: "ref-new", targetLabel: "New", environmentName: "Production" });
    const url = new URL(href, "http://x");
    expect(url.pathname).toBe("/functions/fn%201");
    expect(url.hash).toBe("#request");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ requestEnvironment: "prod", requestTarget: "ref-new", requestEvidence: "run-1" });
  });
});
