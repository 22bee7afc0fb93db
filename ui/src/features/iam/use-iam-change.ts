import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { iamKeys, type IamChange } from "./queries";

/** What the last change did, and how to find its audit events. */
export interface ChangeNotice {
  title: string;
  correlationId: string | null;
}

interface Run {
  change: () => Promise<IamChange>;
  title: string;
  onDone?: (notice: ChangeNotice) => void;
}

/**
 * One runner for a page's IAM changes: every IAM list and detail is refetched after a change;
 * the Gateway's own error text is `error` (an ApiError), the last success is `notice`.
 */
export function useIamChange(initial: ChangeNotice | null = null) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<ChangeNotice | null>(initial);
  const mutation = useMutation({
    mutationFn: (run: Run) => run.change(),
    onMutate: () => setNotice(null),
    onSuccess: (change, run) => {
      const done = { title: run.title, correlationId: change.correlationId };
      setNotice(done);
      void queryClient.invalidateQueries({ queryKey: iamKeys.all });
      run.onDone?.(done);
    },
  });
  return {
    run: (run: Run) => mutation.mutate(run),
    pending: mutation.isPending,
    error: mutation.isError ? mutation.error : null,
    reset: () => mutation.reset(),
    notice,
  };
}
