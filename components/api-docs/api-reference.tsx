import Link from "next/link";
import { HTTP_METHODS, type OpenApiDocument, type OperationObject } from "@/lib/api/openapi-types";
import { CodeBlock } from "./code-block";
import { MethodBadge } from "./method-badge";
import { OperationSection } from "./operation-section";
import { Prose } from "./prose";
import { textLinkClass } from "@/components/ui/text-link";

type Entry = { path: string; method: string; operation: OperationObject };

function entries(doc: OpenApiDocument): Entry[] {
  const out: Entry[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation) out.push({ path, method, operation });
    }
  }
  return out;
}

/** Modelpin's API, rendered from its OpenAPI document. */
export function ApiReference({ doc, baseUrl, canManageTokens }: { doc: OpenApiDocument; baseUrl: string; canManageTokens: boolean }) {
  const all = entries(doc);
  const groups = (doc.tags ?? []).map((t) => ({ ...t, items: all.filter((e) => e.operation.tags?.includes(t.name)) })).filter((g) => g.items.length);
  return (
    <div className="grid gap-8 lg:grid-cols-[14rem_1fr]">
      <nav aria-label="Endpoints" className="lg:sticky lg:top-6 lg:self-start">
        <ul className="space-y-4 text-sm">
          {groups.map((g) => (
            <li key={g.name}>
              <p className="text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">{g.name}</p>
              <ul className="mt-1 space-y-1">
                {g.items.map((e) => (
                  <li key={e.operation.operationId}>
                    <a href={`#op-${e.operation.operationId}`} className="flex items-center gap-2 rounded px-1 py-0.5 hover:bg-zinc-100 dark:hover:bg-zinc-800">
                      <MethodBadge method={e.method} />
                      <span className="truncate">{e.operation.summary}</span>
                    </a>
                  </li>
                ))}
              </ul>
            </li>
          ))}
          <li>
            <a href="/api/openapi.json" className={textLinkClass}>
              OpenAPI 3.1 document (JSON)
            </a>
          </li>
        </ul>
      </nav>

      <div className="min-w-0 space-y-6">
        <section aria-labelledby="api-start" className="rounded-lg border border-zinc-200 bg-white p-5 dark:border-zinc-800 dark:bg-zinc-900">
          <h2 id="api-start" className="text-base font-semibold">
            Getting started
          </h2>
          <Prose text={doc.info.description} className="mt-2 text-sm text-zinc-600 dark:text-zinc-400" />
          <p className="mt-3 text-sm text-zinc-600 dark:text-zinc-400">
            {canManageTokens ? (
              <>
                Create a token in{" "}
                <Link href="/settings/tokens" className={`font-medium ${textLinkClass}`}>
                  Settings → API tokens
                </Link>{" "}
                (it is shown once), then set these two variables; every example below uses them.
              </>
            ) : (
              <>An admin creates tokens (Settings → API tokens). Ask one for a token of your environment, then set these two variables; every example below uses them.</>
            )}
          </p>
          <div className="mt-3">
            <CodeBlock label="Shell setup" code={`export MODELPIN_URL=${baseUrl}\nexport MODELPIN_TOKEN=mp_…   # your environment token`} />
          </div>
          <ul className="mt-4 list-disc space-y-1 pl-5 text-sm text-zinc-600 dark:text-zinc-400">
            <li>
              <strong className="font-medium text-zinc-800 dark:text-zinc-200">Proxy:</strong> replace <code className="text-xs">https://www.nyckel.com</code> with{" "}
              <code className="text-xs">{baseUrl}</code> and Nyckel&apos;s access token with the Modelpin token. Nothing else changes.
            </li>
            <li>
              <strong className="font-medium text-zinc-800 dark:text-zinc-200">Your own modelId:</strong> equal to the pin it is served; a different one gets{" "}
              <code className="text-xs">409</code> unless the environment allows caller overrides.
            </li>
            <li>
              <strong className="font-medium text-zinc-800 dark:text-zinc-200">Polling pins:</strong> send the last <code className="text-xs">ETag</code> as{" "}
              <code className="text-xs">If-None-Match</code>; you get <code className="text-xs">304</code> until a pin changes.
            </li>
          </ul>
        </section>

        {all.map((e) => (
          <OperationSection key={e.operation.operationId} doc={doc} path={e.path} method={e.method} operation={e.operation} />
        ))}
      </div>
    </div>
  );
}
