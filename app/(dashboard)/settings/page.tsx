import { redirect } from "next/navigation";
import { requireUser } from "@/lib/session/current";

export default async function SettingsIndex() {
  await requireUser();
  redirect("/settings/members");
}
