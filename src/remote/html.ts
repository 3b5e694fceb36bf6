// HTML text helpers for the pages and notebook outputs the server writes.

/** Escapes text for use in HTML content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
