import { NotAvailable } from "../../components/layout/page";

export default function Page() {
  return <NotAvailable title="Scale & Placement" api="Placement" />;
}
