import { createStore } from "./store";

export const TENANT_PARAM = "tenant";

function fromLocation(): string | null {
  try {
    return new URLSearchParams(window.location.search).get(TENANT_PARAM) || null;
  } catch {
    return null;
  }
}

/** The tenant chosen in the header; mirrored in the `?tenant=` search param. */
export const currentTenant = createStore<string | null>(fromLocation());
