import { render } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { AppProviders, createQueryClient } from "@/app/providers";
import { routes } from "@/app/router";
import { signIn } from "@/session";

export function signInForTest(principal = "admin"): void {
  signIn({ token: `token-${principal}`, principalId: principal, sessionId: `sess-${principal}`, expiresAt: null });
}

/** Renders the whole app (shell, routes, providers) at `path`. */
export function renderApp(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const client = createQueryClient();
  client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retry: false } });
  const view = render(
    <AppProviders client={client}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { ...view, router, client };
}
