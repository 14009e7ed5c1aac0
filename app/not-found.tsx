import { StatusPage } from "@/components/shell/status-page";

export default function NotFound() {
  return (
    <StatusPage code={404} title="Not found">
      There is nothing here, or it was removed.
    </StatusPage>
  );
}
