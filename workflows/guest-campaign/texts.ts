/**
 * Texts of guest campaigns (pure). The campaign's own words come from its template; every campaign text is a
 * marketing text to a guest, so it carries the brand and the STOP instruction the rules require.
 */
/** Appended to every campaign text (counted in its segment budget). */
export const STOP_FOOTER = ' Reply STOP to opt out.';

/** `<brand>: <rendered template> Reply STOP to opt out.` */
export function campaignText(brand: string, rendered: string): string {
  return `${brand}: ${rendered}${STOP_FOOTER}`;
}

/** The brand campaign texts start with when none is configured. */
export const DEFAULT_CAMPAIGN_BRAND = 'Crewline';
