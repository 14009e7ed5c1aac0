import { execFile } from "node:child_process";
import { inspect } from "node:util";
import { expect, test } from "./fixtures/test";
import { inputDigest } from "../scripts/emulator/models";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "../scripts/emulator/state";
import { emulatorUrl, recentInvokes, setUpApiWorld, type ApiWorld } from "./fixtures/api";
import { GUIDE_CURL, GUIDE_FETCH } from "../scripts/testing/nyckel-guide";

/**
 * Nyckel's model-pinning guide (https://www.nyckel.com/docs/model-pinning; the
 * text is in the project's shared notes, nyckel-model-pinning-guide.txt) shows how
 * to invoke a pinned model with curl and with JavaScript fetch. An application
 * that follows it must work against Modelpin's proxy by changing only the base
 * URL and the token (and, as the guide asks, filling in its function and model id).
 *
 * The two examples are COPIED VERBATIM in scripts/testing/nyckel-guide.ts (the guide file
 * is not part of this repository, so it cannot be read at test time). The test replaces exactly four
 * placeholders — the host `https://www.nyckel.com` (→ Modelpin's URL),
 * `<accessToken>` (→ a Modelpin token), `<functionId>` and `<modelId>` (→ the
 * environment's pinned model) — and runs the result unchanged: curl through
 * /bin/sh, the fetch snippet with `node -e`. The body stays the guide's literal
 * `{"data":"@<fileName>"}` (a text input for a text function).
 */

/** The guide's input, as the emulator sees it. */
const GUIDE_INPUT = "@<fileName>";

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");
test.describe.configure({ mode: "serial" });

let world: ApiWorld;

function substitute(example: string, baseURL: string): string {
  const out = example
    .replaceAll("https://www.nyckel.com", baseURL)
    .replaceAll("<accessToken>", world.token)
    .replaceAll("<functionId>", world.fn.id)
    .replaceAll("<modelId>", world.pinned);
  // Only those four changed: putting the placeholders back gives the guide's text.
  const back = out.replaceAll(baseURL, "https://www.nyckel.com").replaceAll(world.token, "<accessToken>").replaceAll(world.fn.id, "<functionId>").replaceAll(world.pinned, "<modelId>");
  expect(back).toBe(example);
  expect(out).not.toMatch(/<accessToken>|<functionId>|<modelId>|www\.nyckel\.com/);
  return out;
}

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 30_000, env: { NODE_ENV: "production", PATH: process.env.PATH ?? "/usr/bin:/bin" } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** What the pinned model answers for the guide's input, asked of the emulator directly (no capture). */
async function pinnedAnswer(modelId: string): Promise<Record<string, unknown>> {
  const tokenRes = await fetch(`${emulatorUrl()}/connect/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET }),
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  const res = await fetch(`${emulatorUrl()}/v1/functions/${world.fn.id}/invoke?capture=false&modelId=${modelId}`, {
    method: "POST",
    headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
    body: JSON.stringify({ data: GUIDE_INPUT }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** The emulator's log entries for the guide's input to this function since `afterSeq`. */
async function guideInvokesSince(afterSeq: number) {
  const digest = inputDigest({ kind: "text", text: GUIDE_INPUT });
  return (await recentInvokes()).filter((e) => e.seq > afterSeq && e.functionId === world.fn.id && e.inputDigest === digest && e.query.capture === undefined);
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  world = await setUpApiWorld(browser, { prefix: "guide" });
});

test("the guide's curl example, pointed at Modelpin with a Modelpin token, gets the pinned model's answer", async ({ baseURL }) => {
  const expected = await pinnedAnswer(world.pinned);
  const before = (await recentInvokes(1)).at(-1)?.seq ?? 0;
  const command = substitute(GUIDE_CURL, baseURL!);
  expect(command.startsWith("curl -X POST \\\n")).toBe(true);
  const { code, stdout, stderr } = await run("/bin/sh", ["-c", command]);
  expect(code, stderr).toBe(0);
  expect(JSON.parse(stdout)).toEqual(expected);
  const invokes = await guideInvokesSince(before);
  expect(invokes).toHaveLength(1);
  expect(invokes[0]).toMatchObject({ modelIdParam: world.pinned, modelIdUsed: world.pinned, status: 200, bodyKind: "json", inputKind: "text" });
});

test("the guide's JavaScript fetch example, pointed at Modelpin with a Modelpin token, gets the pinned model's answer", async ({ baseURL }) => {
  const expected = await pinnedAnswer(world.pinned);
  const before = (await recentInvokes(1)).at(-1)?.seq ?? 0;
  const { code, stdout, stderr } = await run(process.execPath, ["-e", substitute(GUIDE_FETCH, baseURL!)]);
  expect(code, stderr).toBe(0);
  // console.log(data) of the parsed answer: exactly how Node prints the pinned model's answer.
  expect(stdout.trim()).toBe(inspect(expected));
  const invokes = await guideInvokesSince(before);
  expect(invokes).toHaveLength(1);
  expect(invokes[0]).toMatchObject({ modelIdParam: world.pinned, modelIdUsed: world.pinned, status: 200 });
});

test("the same curl example with another model than the pin gets 409 from Modelpin and never reaches Nyckel", async ({ baseURL }) => {
  const before = (await recentInvokes(1)).at(-1)?.seq ?? 0;
  const command = substitute(GUIDE_CURL, baseURL!).replace(`modelId=${world.pinned}`, `modelId=${world.other}`).replace("curl -X POST", "curl -sS -w '\\n%{http_code}' -X POST");
  const { code, stdout } = await run("/bin/sh", ["-c", command]);
  expect(code).toBe(0);
  const [body, status] = [stdout.slice(0, stdout.lastIndexOf("\n")), stdout.slice(stdout.lastIndexOf("\n") + 1)];
  expect(status).toBe("409");
  expect(JSON.parse(body)).toMatchObject({ error: { code: "model_conflict", pinnedModelId: world.pinned, requestedModelId: world.other } });
  expect(await guideInvokesSince(before)).toEqual([]);
});
