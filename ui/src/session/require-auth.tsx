import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { useStore } from "@/lib";
import { session } from "./session";

/** Sends visitors without a token to /login, remembering where they were going. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const current = useStore(session);
  const location = useLocation();
  if (!current) {
    return <Navigate to="/login" replace state={{ from: `${location.pathname}${location.search}` }} />;
  }
  return children;
}
