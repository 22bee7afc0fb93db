import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef } from "react";
import { openEventStream, type EventStream } from "@/api";
import { liveStream, OFF_STREAM } from "@/lib";
import { createInvalidator, keysForEvent } from "./invalidation";

/**
 * The console's one subscription (mounted once by the shell, so only while signed in): every
 * event invalidates the queries it concerns; the stream's state goes to `liveStream`, which
 * switches the pages' fallback polling off while it is live. When the stream drops, the covered
 * queries on screen are refetched at once, which also starts their fallback intervals.
 * Returns "reconnect now".
 */
export function useLiveUpdates(): () => void {
  const client = useQueryClient();
  const stream = useRef<EventStream | null>(null);
  useEffect(() => {
    const invalidator = createInvalidator(client);
    stream.current = openEventStream({
      onEvent: (event) => invalidator.add(keysForEvent(event)),
      onStatus: (state) => {
        const wasLive = liveStream.get().status === "live";
        liveStream.set(state);
        if (wasLive && state.status !== "live") invalidator.refetchCovered();
      },
    });
    return () => {
      stream.current?.close();
      stream.current = null;
      invalidator.dispose();
      liveStream.set(OFF_STREAM);
    };
  }, [client]);
  return useCallback(() => stream.current?.reconnectNow(), []);
}
