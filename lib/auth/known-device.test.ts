import { describe, expect, it } from "vitest";
import { KNOWN_DEVICE_MAX_AGE_SECONDS, deviceKey, isKnownDevice, rememberDevice } from "./known-device";

const key = deviceKey("a".repeat(40));
const ada = { id: "11111111-1111-4111-8111-111111111111", sessionEpoch: "aaaaaaaa-0000-4000-8000-000000000001" };
const bob = { id: "22222222-2222-4222-8222-222222222222", sessionEpoch: "bbbbbbbb-0000-4000-8000-000000000002" };
const now = Date.UTC(2026, 11, 7);

describe("known-device cookie", () => {
  it("a browser that signed in to a member is known to that member only", () => {
    const cookie = rememberDevice(undefined, ada, key, now);
    expect(isKnownDevice(cookie, ada, key, now)).toBe(true);
    expect(isKnownDevice(cookie, bob, key, now)).toBe(false);
    expect(isKnownDevice(undefined, ada, key, now)).toBe(false);
  });

  it("keeps notes for several members, newest first, at most five", () => {
    let cookie = rememberDevice(undefined, ada, key, now);
    cookie = rememberDevice(cookie, bob, key, now + 1_000);
    expect(isKnownDevice(cookie, ada, key, now + 2_000)).toBe(true);
    expect(isKnownDevice(cookie, bob, key, now + 2_000)).toBe(true);
    for (let i = 0; i < 6; i++) cookie = rememberDevice(cookie, { id: `3333333${i}-3333-4333-8333-333333333333`, sessionEpoch: ada.sessionEpoch }, key, now + 3_000);
    expect(cookie.split("~")).toHaveLength(5);
    expect(isKnownDevice(cookie, ada, key, now + 4_000)).toBe(false);
  });

  it("refuses forged, re-keyed, re-epoched and expired notes", () => {
    const cookie = rememberDevice(undefined, ada, key, now);
    const [id, issued, mac] = cookie.split(".") as [string, string, string];
    expect(isKnownDevice(`${id}.${issued}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`, ada, key, now)).toBe(false);
    expect(isKnownDevice(`${id}.${Number(issued) + 1}.${mac}`, ada, key, now)).toBe(false);
    expect(isKnownDevice(cookie, ada, deviceKey("b".repeat(40)), now)).toBe(false);
    // A password change or reset gives the member a new epoch: old notes stop counting.
    expect(isKnownDevice(cookie, { ...ada, sessionEpoch: "cccccccc-0000-4000-8000-000000000003" }, key, now)).toBe(false);
    expect(isKnownDevice(cookie, ada, key, now + KNOWN_DEVICE_MAX_AGE_SECONDS * 1000)).toBe(false);
    expect(isKnownDevice("garbage~" + "x".repeat(5000), ada, key, now)).toBe(false);
  });
});
