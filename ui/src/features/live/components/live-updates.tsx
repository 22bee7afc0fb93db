import { useEffect, useState } from "react";
import { liveStream, useStore } from "@/lib";
import { useLiveUpdates } from "@/features/live/use-live-updates";
import { LiveStatus } from "./live-status";

/** The shell's header widget: holds the one subscription and shows its state. */
export default function LiveUpdates() {
  const reconnect = useLiveUpdates();
  const state = useStore(liveStream);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 5000);
    return () => window.clearInterval(timer);
  }, []);
  return <LiveStatus state={state} now={Math.max(now, state.lastMessageAt ?? 0)} onReconnect={reconnect} />;
}
