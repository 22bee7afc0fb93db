import { NotAvailable } from "@/components/layout";

export default function Page() {
  return <NotAvailable title="Config" api="Config registry" />;
}
