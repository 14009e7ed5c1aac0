import type { Metadata } from "next";
import { MembersClient } from "@/components/members/members-client";
import { requirePagePermission } from "@/lib/session/current";
import { listMembers } from "@/lib/members/queries";

export const metadata: Metadata = { title: "Members" };

export default async function MembersPage() {
  const me = await requirePagePermission("members:manage");
  const members = await listMembers();
  return <MembersClient meId={me.id} members={members} />;
}
