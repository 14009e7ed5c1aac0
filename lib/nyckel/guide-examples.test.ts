/**
 * The model-pinning guide's examples (nyckel-model-pinning-guide.txt), run exactly as
 * written against the emulator, with only the placeholders filled in:
 * https://www.nyckel.com → the emulator's URL, <accessToken> → a token from the
 * emulator, <functionId> → a text function, <modelId> → one of its real model ids,
 * <fileName> → a line of text. (`"@<fileName>"` sits inside a JSON string, so curl
 * sends it literally: the function receives the text "@<the text>".)
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededFunction } from "@/scripts/emulator/seed";
import { startEmulator, type EmulatorHandle } from "@/scripts/emulator/server";
import { emulatorToken } from "@/scripts/testing/nyckel";
import { GUIDE_CURL, GUIDE_FETCH } from "@/scripts/testing/nyckel-guide";

const run = promisify(execFile);
const CURL = ["/usr/bin/curl", "/bin/curl", "/usr/local/bin/curl"].find((path) => existsSync(path));

let emu: EmulatorHandle;
let token: string;
const triage = seededFunction("support-triage");
const modelId = triage.modelIds[0] as string;
const text = "My invoice shows I was charged twice";

function fill(example: string): string {
  return example
    .replaceAll("https://www.nyckel.com", emu.url)
    .replaceAll("<accessToken>", token)
    .replaceAll("<functionId>", triage.id)
    .replaceAll("<modelId>", modelId)
    .replaceAll("<fileName>", text);
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, quiet: true });
  token = await emulatorToken(emu);
});
afterAll(async () => {
  await emu.close();
});

describe("the model-pinning guide's examples", () => {
  it.skipIf(!CURL)("the curl example succeeds and pins the model", async () => {
    const command = fill(GUIDE_CURL);
    expect(command.split("\n")).toHaveLength(5); // still the guide's shape
    const { stdout } = await run("/bin/sh", ["-c", command], {
      env: { ...process.env, NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" },
      timeout: 10_000,
    });
    const body = JSON.parse(stdout) as { labelName: string; labelId: string; confidence: number };
    expect(body.labelName).toBe("Billing");
    expect(body.labelId).toMatch(/^label_/);
    expect(body.confidence).toBeGreaterThan(0.5);
    const [entry] = emu.state.recentInvokes(1);
    expect(entry).toMatchObject({ status: 200, modelIdParam: modelId, modelIdUsed: modelId, bodyKind: "json", inputKind: "text" });
    expect(emu.state.findFunction(triage.id)?.samples.size).toBeGreaterThan(0);
    const [sample] = [...(emu.state.findFunction(triage.id)?.samples.values() ?? [])];
    expect(sample?.data).toBe(`@${text}`);
  });

  it("the fetch example succeeds and pins the model", async () => {
    const logged = new Promise<unknown>((resolve) => {
      const fakeConsole = { log: (value: unknown) => resolve(value) };
      // Runs the guide's code unchanged, with the global fetch; only console is captured.
      new Function("console", fill(GUIDE_FETCH))(fakeConsole);
    });
    const data = (await logged) as { labelName: string; confidence: number };
    expect(data.labelName).toBe("Billing");
    expect(data.confidence).toBeGreaterThan(0.5);
    const [entry] = emu.state.recentInvokes(1);
    expect(entry).toMatchObject({ status: 200, modelIdParam: modelId, modelIdUsed: modelId });
  });
});
