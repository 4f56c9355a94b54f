/** Light, dark or the system's choice, remembered in localStorage and applied as the `dark` class. */
import { writable } from "svelte/store";

export type Theme = "light" | "dark" | "system";
const KEY = "oneclick-theme";

function stored(): Theme {
  if (typeof localStorage === "undefined") return "system";
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

export const theme = writable<Theme>(stored());

export function applyTheme(value: Theme): void {
  if (typeof document === "undefined") return;
  const dark = value === "dark" || (value === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.classList.toggle("dark", dark);
}

export function setTheme(value: Theme): void {
  if (value === "system") localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, value);
  theme.set(value);
  applyTheme(value);
}

export function nextTheme(value: Theme): Theme {
  return value === "system" ? "dark" : value === "dark" ? "light" : "system";
}
