/**
 * What the serving and automation route catalogs (the OpenAPI document's
 * source) share: an entry's common fields and its answers.
 *
 * No "server-only": the OpenAPI generator imports this too.
 */
import type { z } from "zod";

export type RouteResponses = Record<number, { description: string; schema?: z.ZodType }>;

/** The fields every catalog entry has. */
export type CatalogRoute = {
  method: "GET" | "POST";
  path: string;
  summary: string;
  responses: RouteResponses;
};

/** Error answers that share one schema, from status → description. */
export function errorAnswers(schema: z.ZodType, descriptions: Record<number, string>): RouteResponses {
  return Object.fromEntries(Object.entries(descriptions).map(([status, description]) => [status, { description, schema }]));
}
