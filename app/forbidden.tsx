import { StatusPage } from "@/components/shell/status-page";

export default function Forbidden() {
  return (
    <StatusPage code={403} title="Not allowed">
      Your role does not allow you to open this page. Ask an admin if you need access.
    </StatusPage>
  );
}
