/**
 * Shows control characters (other than tab) and text-direction overrides as `\u{...}` escapes, so a value from a
 * file (a connector name, say) cannot move the cursor, recolour or reorder a terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
}
