import { useParams } from "react-router";
import { JobDetailPage } from "../features/jobs/components/job-detail-page";

export default function JobDetailRoute() {
  const { jobId = "" } = useParams();
  return <JobDetailPage key={jobId} jobId={jobId} />;
}
