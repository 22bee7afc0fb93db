import { NotAvailable } from "@/components/layout";

export default function Page() {
  return <NotAvailable title="Drift" api="Drift" />;
}
