// Public surface of the jobs feature. Other features start jobs with useJobSubmission (and show
// its refusals with JobRefusal), list jobs with JobsTable and read them through jobQueries.
export { FailedChecks, JobRefusal } from "./components/job-refusal";
export { JobsTable } from "./components/jobs-table";
export { ReasonJobButton, type ReasonJobButtonProps } from "./components/reason-job-button";
export { RunVerificationButton } from "./components/run-verification";
export { useJobSubmission, type JobSubmission, type JobSubmissionOptions } from "./job-submission";
export { isActive, jobKeys, jobQueries, startJob, type JobAttempt, type JobFilters, type StartJobInput } from "./queries";
export { parseRefusalCheck, refusalChecks, type CheckValue, type RefusalCheck } from "./refusal";
