import { setTheme, themeChoice, type ThemeChoice, useStore } from "@/lib";

const ORDER: ThemeChoice[] = ["system", "light", "dark"];
const LABEL: Record<ThemeChoice, string> = { system: "System", light: "Light", dark: "Dark" };

export function ThemeToggle() {
  const choice = useStore(themeChoice);
  const next = ORDER[(ORDER.indexOf(choice) + 1) % ORDER.length]!;
  return (
    <button
      type="button"
      className="inline-flex h-9 items-center rounded-md px-2 text-sm hover:bg-zinc-200 dark:hover:bg-zinc-800"
      onClick={() => setTheme(next)}
      aria-label={`Theme: ${LABEL[choice]}. Switch to ${LABEL[next]}`}
      title={`Theme: ${LABEL[choice]}`}
    >
      <span aria-hidden="true">{choice === "dark" ? "☾" : choice === "light" ? "☀" : "◐"}</span>
      <span className="ml-1 hidden text-xs sm:inline">{LABEL[choice]}</span>
    </button>
  );
}
