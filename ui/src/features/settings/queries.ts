/** Query keys of the settings feature. */
export const settingsKeys = {
  all: ["settings"] as const,
  effective: () => [...settingsKeys.all, "effective"] as const,
};
