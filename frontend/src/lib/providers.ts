/**
 * Which "Continue with …" buttons the login page offers: exactly the OAuth2 providers the server's
 * auth-methods answer lists, of those One-Click knows (GitHub and Microsoft), in the server's order.
 */

/** The part of an auth-methods answer (PocketBase ≥ 0.23 shape, as the SDK returns it) this reads. */
export interface AuthMethodsAnswer {
  oauth2?: { enabled?: boolean; providers?: { name: string; displayName?: string }[] } | null;
}

export interface OfferedProvider {
  name: string;
  title: string; // the button says "Continue with <title>"
}

export const PROVIDER_TITLES: Record<string, string> = { github: "GitHub", microsoft: "Microsoft" };

export function offeredProviders(methods: AuthMethodsAnswer | null | undefined): OfferedProvider[] {
  if (!methods?.oauth2?.enabled) return [];
  const seen = new Set<string>();
  const offered: OfferedProvider[] = [];
  for (const provider of methods.oauth2.providers ?? []) {
    // A provider the UI has no button for (or a duplicate) is left out rather than shown half-working.
    if (!Object.hasOwn(PROVIDER_TITLES, provider.name) || seen.has(provider.name)) continue;
    seen.add(provider.name);
    offered.push({ name: provider.name, title: PROVIDER_TITLES[provider.name] });
  }
  return offered;
}
