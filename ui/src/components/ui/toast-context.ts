import { createContext, useContext } from "react";

export type ToastTone = "info" | "success" | "error";

export interface ToastInput {
  title: string;
  detail?: string;
  tone?: ToastTone;
  requestId?: string | null;
  correlationId?: string | null;
}

export interface ToastApi {
  show(toast: ToastInput): void;
  error(error: unknown, title?: string): void;
}

export const ToastContext = createContext<ToastApi | null>(null);

export function useToast(): ToastApi {
  const context = useContext(ToastContext);
  if (!context) throw new Error("useToast must be used inside <ToastProvider>");
  return context;
}
