/** XML 1.0 forbids most control characters: an ANSI colour code in an error message would make the whole file unreadable. */
export function xmlSafe(text: string): string {
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}
