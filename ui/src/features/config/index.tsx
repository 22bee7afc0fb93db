import { NotAvailable } from "../../components/layout/page";

export default function Page() {
  return <NotAvailable title="Config" api="Config registry" />;
}
