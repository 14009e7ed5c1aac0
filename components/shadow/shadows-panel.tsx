"use client";

import dynamic from "next/dynamic";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { actionErrors } from "@/components/ui/action-errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { ListTable, Td } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { textLinkClass } from "@/components/ui/text-link";
import { stopShadowAction } from "@/lib/shadow/actions";
import type { ShadowEnvironmentOption, ShadowModelOption, ShadowRowView } from "./types";

/**
 * The start/change dialog (its form and the zod limits), loaded when an editor opens it: the function
 * page's first load stays light (issue 17), and viewers never load it.
 */
const ShadowDialog = dynamic(() => import("./shadow-dialog").then((m) => m.ShadowDialog), { ssr: false });

const count = (n: number) => n.toLocaleString("en-US");

export const shadowHref = (functionId: string, shadowId: string) => `/functions/${encodeURIComponent(functionId)}/shadows/${shadowId}`;

const STATUS = { active: <Badge tone="green">active</Badge>, ended: <Badge>ended</Badge>, stopped: <Badge>stopped</Badge> } as const;

type Open = { kind: "start" } | { kind: "change"; shadow: ShadowRowView } | { kind: "stop"; shadow: ShadowRowView } | null;

/**
 * The function page's "Shadow evaluation" section: each environment's active shadow (share, cap, end,
 * mirrored and dropped so far, its report) and the earlier ones; editors start, change and stop them.
 */
export function ShadowsPanel({
  functionId,
  shadows,
  environments,
  models,
  canWrite,
}: {
  functionId: string;
  shadows: ShadowRowView[];
  environments: ShadowEnvironmentOption[];
  models: ShadowModelOption[];
  canWrite: boolean;
}) {
  const router = useRouter();
  const [open, setOpen] = useState<Open>(null);
  const [done, setDone] = useState<string | null>(null);
  const stop = useAction(stopShadowAction, {
    onSuccess: ({ data }) => {
      setOpen(null);
      if (data) setDone(data.message);
      router.refresh();
    },
  });
  const finish = (message: string) => {
    setOpen(null);
    setDone(message);
    router.refresh();
  };
  const active = shadows.filter((s) => s.state === "active");
  const earlier = shadows.filter((s) => s.state !== "active");
  const stopping = open?.kind === "stop" ? open.shadow : null;

  return (
    <div className="space-y-3" data-testid="shadows">
      {done ? <Alert tone="success">{done}</Alert> : null}
      {canWrite ? (
        <div>
          <Button
            variant="secondary"
            onClick={() => {
              setDone(null);
              setOpen({ kind: "start" });
            }}
            disabled={!environments.some((e) => e.activeShadowId === null && models.some((m) => m.id !== e.pinModelRefId))}
          >
            Start a shadow…
          </Button>
        </div>
      ) : null}
      {active.length === 0 ? (
        <p className="rounded-lg border border-dashed border-zinc-300 bg-white px-4 py-6 text-sm text-zinc-600 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-400">
          No shadow is running for this function.
          {canWrite ? " Start one to see how a candidate model answers an environment's real traffic before anyone promotes it." : ""}
        </p>
      ) : (
        <ShadowTable shadows={active} functionId={functionId} canWrite={canWrite} onChange={(s) => setOpen({ kind: "change", shadow: s })} onStop={(s) => setOpen({ kind: "stop", shadow: s })} />
      )}
      {earlier.length ? (
        <details className="text-sm">
          <summary className="cursor-pointer text-zinc-700 dark:text-zinc-300">Earlier shadows ({earlier.length})</summary>
          <div className="mt-2">
            <ShadowTable shadows={earlier} functionId={functionId} canWrite={false} />
          </div>
        </details>
      ) : null}
      {open?.kind === "start" ? (
        <ShadowDialog mode="start" functionId={functionId} environments={environments} models={models} onClose={() => setOpen(null)} onDone={finish} />
      ) : null}
      {open?.kind === "change" ? <ShadowDialog mode="change" functionId={functionId} shadow={open.shadow} onClose={() => setOpen(null)} onDone={finish} /> : null}
      <ConfirmDialog
        open={stopping !== null}
        title={stopping ? `Stop the shadow in ${stopping.environment.name}?` : "Stop the shadow?"}
        confirmLabel="Stop shadow"
        pending={stop.isPending}
        onCancel={() => {
          stop.reset();
          setOpen(null);
        }}
        onConfirm={() => stopping && stop.execute({ shadowId: stopping.id })}
      >
        {stopping ? (
          <>
            No more calls are mirrored to {stopping.candidate.label}. Its report and what it recorded stay, and can still be used as evidence.
            {stop.result.serverError ? <Alert className="mt-2">{actionErrors(stop.result).message}</Alert> : null}
          </>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}

function ShadowTable({
  shadows,
  functionId,
  canWrite,
  onChange,
  onStop,
}: {
  shadows: ShadowRowView[];
  functionId: string;
  canWrite: boolean;
  onChange?: (s: ShadowRowView) => void;
  onStop?: (s: ShadowRowView) => void;
}) {
  return (
    <ListTable columns={["Environment", "Candidate", "Share · cap", "Ends", "Mirrored", "Dropped", { label: "Actions", srOnly: true }]}>
      {shadows.map((s) => {
        const dropped = s.dropped.budget + s.dropped.tooLarge + s.dropped.cap;
        return (
          <tr key={s.id} data-testid={`shadow-${s.environment.slug}`} className="align-top">
            <Td density="relaxed">
              <div className="font-medium">{s.environment.name}</div>
              {STATUS[s.state]} {s.keepInputs ? <Badge tone="amber">keeps inputs</Badge> : null}
            </Td>
            <Td density="relaxed">
              <div>{s.candidate.label}</div>
            </Td>
            <Td density="relaxed" className="tabular-nums">
              {s.sharePct}% · ≤ {s.maxPerSecond}/s
            </Td>
            <Td density="relaxed" className="text-xs">
              <Time value={s.stoppedAt ?? s.endsAt} />
              <div className="text-zinc-500">started by {s.createdBy}</div>
            </Td>
            <Td density="relaxed" className="tabular-nums" data-testid="shadow-mirrored">
              {count(s.mirrored)}
            </Td>
            <Td density="relaxed" className="tabular-nums" title={`no Nyckel budget ${s.dropped.budget}, body over 1 MB ${s.dropped.tooLarge}, over the cap ${s.dropped.cap}`}>
              {count(dropped)}
              {dropped ? (
                <div className="text-xs text-zinc-500">
                  budget {count(s.dropped.budget)} · too large {count(s.dropped.tooLarge)} · cap {count(s.dropped.cap)}
                </div>
              ) : null}
            </Td>
            <Td density="relaxed" align="right">
              <div className="flex flex-wrap justify-end gap-2">
                <Link href={shadowHref(functionId, s.id)} className={textLinkClass} aria-label={`Report of the shadow in ${s.environment.name}`}>
                  Report
                </Link>
                {canWrite && onChange && onStop ? (
                  <>
                    <Button variant="secondary" onClick={() => onChange(s)} aria-label={`Change the shadow in ${s.environment.name}`}>
                      Change
                    </Button>
                    <Button variant="danger" onClick={() => onStop(s)} aria-label={`Stop the shadow in ${s.environment.name}`}>
                      Stop
                    </Button>
                  </>
                ) : null}
              </div>
            </Td>
          </tr>
        );
      })}
    </ListTable>
  );
}
