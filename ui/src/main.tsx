import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, RouterProvider } from "react-router";
import { AppProviders, createQueryClient } from "@/app/providers";
import { routes } from "@/app/router";
import { applyTheme, watchSystemTheme } from "@/lib";
import "./index.css";

applyTheme();
watchSystemTheme();

const router = createBrowserRouter(routes);
const queryClient = createQueryClient();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AppProviders client={queryClient}>
      <RouterProvider router={router} />
    </AppProviders>
  </StrictMode>,
);
