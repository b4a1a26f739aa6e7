import { describe, expect, it } from 'vitest';
import { printable, shown } from './printable.js';

describe('printable', () => {
  it.each([
    ['a plain path', '/data/cats/0001.jpg', '/data/cats/0001.jpg'],
    ['unicode and spaces', '/data/chats été/😺 1.png', '/data/chats été/😺 1.png'],
    ['a newline that would forge a report line', 'a\n  skipped: b', 'a\\n  skipped: b'],
    ['a carriage return that would overwrite the line', 'ok\rFAKE', 'ok\\rFAKE'],
    ['an escape sequence that retitles the terminal', 'x\x1b]0;pwned\x07.jpg', 'x\\x1b]0;pwned\\x07.jpg'],
    ['a screen-clearing sequence', 'cat\x1b[2J', 'cat\\x1b[2J'],
    ['DEL and a C1 control (CSI)', 'a\x7fb\x9bc', 'a\\x7fb\\x9bc'],
    ['a right-to-left override that reverses what follows', 'photo\u202egpj.exe', 'photo\\u202egpj.exe'],
    ['a NUL and a tab', 'a\0b\tc', 'a\\x00b\\tc'],
  ])('shows %s', (_label, raw, expected) => {
    expect(printable(raw)).toBe(expected);
  });

  it('escapes interpolated values only, in a template', () => {
    const name = 'evil\nline';
    expect(shown`  skipped: ${name}: ${3}\n`).toBe('  skipped: evil\\nline: 3\n');
  });
});
