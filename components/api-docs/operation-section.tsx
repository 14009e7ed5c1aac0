import { InlineTable } from "@/components/ui/table";
import { deref, type OpenApiDocument, type OperationObject, type ParameterObject, type ResponseObject, type HeaderObject } from "@/lib/api/openapi-types";
import { allowsMore, schemaRows, typeLabel } from "@/lib/api/schema-rows";
import { CodeBlock } from "./code-block";
import { MethodBadge, StatusBadge } from "./method-badge";
import { Prose } from "./prose";
import { SchemaTable } from "./schema-table";

const IN_LABEL: Record<ParameterObject["in"], string> = { path: "path", query: "query", header: "header", cookie: "cookie" };

function Heading({ children }: { children: React.ReactNode }) {
  return <h3 className="mt-6 text-sm font-semibold text-zinc-900 dark:text-zinc-100">{children}</h3>;
}

export function OperationSection({ doc, path, method, operation }: { doc: OpenApiDocument; path: string; method: string; operation: OperationObject }) {
  const id = `op-${operation.operationId}`;
  const parameters = (operation.parameters ?? []).map((p) => deref<ParameterObject>(doc, p));
  const secured = (operation.security ?? doc.security ?? []).length > 0;
  return (
    <section id={id} aria-labelledby={`${id}-title`} className="scroll-mt-6 rounded-lg border border-zinc-200 bg-white p-5 dark:border-zinc-800 dark:bg-zinc-900" data-testid={id}>
      <h2 id={`${id}-title`} className="flex flex-wrap items-center gap-3">
        <MethodBadge method={method} />
        <code className="break-all text-base font-semibold">{path}</code>
      </h2>
      <p className="mt-2 font-medium">{operation.summary}</p>
      <Prose text={operation.description} className="mt-1 text-sm text-zinc-600 dark:text-zinc-400" />
      <p className="mt-3 text-sm">
        <span className="font-medium">Authentication: </span>
        {secured ? (
          <span>
            environment token, <code className="text-xs">Authorization: Bearer $MODELPIN_TOKEN</code>
          </span>
        ) : (
          <span>none (public)</span>
        )}
      </p>

      {parameters.length ? (
        <>
          <Heading>Parameters</Heading>
          <div className="mt-2 overflow-x-auto">
            <InlineTable caption={`Parameters of ${method.toUpperCase()} ${path}`} columns={["Name", "In", "Type", "Description"]}>
              {parameters.map((p) => (
                <tr key={`${p.in}-${p.name}`} data-testid={`param-${p.name}`}>
                  <td className="py-1.5 pr-4 align-top">
                    <code className="text-xs font-semibold">{p.name}</code>
                    {p.required ? <span className="ml-1 text-xs text-red-700 dark:text-red-400">required</span> : null}
                  </td>
                  <td className="py-1.5 pr-4 align-top text-xs text-zinc-500 dark:text-zinc-400">{IN_LABEL[p.in]}</td>
                  <td className="py-1.5 pr-4 align-top font-mono text-xs text-indigo-700 dark:text-indigo-300">{typeLabel(doc, p.schema)}</td>
                  <td className="py-1.5 align-top text-zinc-600 dark:text-zinc-400">
                    <Prose text={p.description} />
                    {p.example !== undefined ? (
                      <span className="text-xs">
                        Example: <code>{String(p.example)}</code>
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </InlineTable>
          </div>
        </>
      ) : null}

      {operation.requestBody ? (
        <>
          <Heading>Request body</Heading>
          <Prose text={operation.requestBody.description} className="mt-1 text-sm text-zinc-600 dark:text-zinc-400" />
          {Object.entries(operation.requestBody.content).map(([type, media]) => (
            <div key={type} className="mt-3 space-y-2">
              <p className="text-xs font-medium">
                <code>{type}</code>
              </p>
              <SchemaTable rows={schemaRows(doc, media.schema)} caption={`${type} request body`} />
              {media.example !== undefined ? <CodeBlock label={`Example ${type} body`} code={JSON.stringify(media.example, null, 2)} /> : null}
            </div>
          ))}
        </>
      ) : null}

      <Heading>Responses</Heading>
      <ul className="mt-2 space-y-2">
        {Object.entries(operation.responses).map(([status, raw]) => {
          const response = deref<ResponseObject>(doc, raw);
          const headers = Object.entries(response.headers ?? {}).map(([name, h]) => [name, deref<HeaderObject>(doc, h)] as const);
          const media = response.content?.["application/json"];
          const rows = media ? schemaRows(doc, media.schema) : [];
          return (
            <li key={status} data-testid={`response-${status}`} className="rounded-md border border-zinc-100 p-3 dark:border-zinc-800">
              <details>
                <summary className="flex cursor-pointer list-none items-start gap-3 text-sm">
                  <StatusBadge status={status} />
                  <Prose text={response.description} className="text-zinc-700 dark:text-zinc-300" />
                </summary>
                <div className="mt-3 space-y-3 pl-1">
                  {headers.length ? (
                    <p className="text-xs text-zinc-600 dark:text-zinc-400">
                      Headers:{" "}
                      {headers.map(([name, h], i) => (
                        <span key={name}>
                          {i ? ", " : ""}
                          <code className="font-semibold">{name}</code>
                          {h.description ? ` — ${h.description.replace(/`/g, "")}` : ""}
                        </span>
                      ))}
                    </p>
                  ) : null}
                  {media ? <SchemaTable rows={rows} caption={`Response ${status} body`} allowsMore={allowsMore(doc, media.schema)} /> : <p className="text-xs text-zinc-500">No body.</p>}
                  {media?.example !== undefined ? <CodeBlock label={`Example ${status} answer`} code={JSON.stringify(media.example, null, 2)} /> : null}
                </div>
              </details>
            </li>
          );
        })}
      </ul>

      {operation["x-codeSamples"]?.length ? (
        <>
          <Heading>Examples</Heading>
          <div className="mt-2 space-y-3">
            {operation["x-codeSamples"].map((s) => (
              <CodeBlock key={s.label} label={s.label} code={s.source} />
            ))}
          </div>
        </>
      ) : null}
    </section>
  );
}
