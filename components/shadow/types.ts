/** What the function page's "Shadow evaluation" section shows and offers (plain data, safe in client components). */
import type { ShadowDto } from "@/lib/shadow/service";

/** A shadow with what it has done so far: mirrored requests recorded, and requests dropped by reason. */
export type ShadowRowView = ShadowDto & { mirrored: number; dropped: { budget: number; tooLarge: number; cap: number } };

/** An environment the start form offers: its current pin (which cannot be the candidate) and its shadow, if one is on. */
export type ShadowEnvironmentOption = { id: string; name: string; pinModelRefId: string | null; pinLabel: string; activeShadowId: string | null };

export type ShadowModelOption = { id: string; modelId: string; nickname: string };
