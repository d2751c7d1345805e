import { useEffect, useRef } from "react";
import type { OperationContext } from "urql";
import { onLiveConnected } from "./client";

// The subscriptions are registered on the server a moment after the socket
// says it is connected (the subscribe message, then the pub/sub listen);
// reading again after this pause covers what changed until then.
const SETTLE_MS = 300;

// useCatchUp reads a live page's data again whenever the socket connects or
// reconnects, so an update published before its subscription was listening
// (the page's first load races the socket's opening) is not missed.
export function useCatchUp(reload: (opts?: Partial<OperationContext>) => void) {
  const latest = useRef(reload);
  latest.current = reload;
  useEffect(() => {
    const timers = new Set<number>();
    const off = onLiveConnected(() => {
      const t = window.setTimeout(() => {
        timers.delete(t);
        latest.current({ requestPolicy: "network-only" });
      }, SETTLE_MS);
      timers.add(t);
    });
    return () => {
      off();
      for (const t of timers) window.clearTimeout(t);
    };
  }, []);
}
