/**
 * Text from the file system (paths, folder names that became class names) printed on a terminal. A
 * file name can hold any byte but `/`: an escape sequence in one would retitle the terminal or
 * rewrite lines above, and a newline would forge a line of the report. Such characters are shown as
 * escapes instead, the way `ls -b` does.
 */

// C0 controls, DEL, C1 controls, and the bidirectional overrides that reorder what a line appears to say.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(ch: string): string {
  const code = ch.codePointAt(0)!;
  return named[ch] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/** Template tag for a line of human output: every interpolated value is shown with `printable`. */
export function shown(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((line, part, index) => line + part + (index < values.length ? printable(String(values[index])) : ''), '');
}
