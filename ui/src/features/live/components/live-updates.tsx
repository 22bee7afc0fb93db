import { liveStream, useNow, useStore } from "@/lib";
import { useLiveUpdates } from "@/features/live/use-live-updates";
import { LiveStatus } from "./live-status";

/** The shell's header widget: holds the one subscription and shows its state. */
export default function LiveUpdates() {
  const reconnect = useLiveUpdates();
  const state = useStore(liveStream);
  const now = useNow();
  return <LiveStatus state={state} now={Math.max(now, state.lastMessageAt ?? 0)} onReconnect={reconnect} />;
}
