// A plain code editor for a WGSL kernel: a monospace textarea (no wrapping, so a line of text is
// a line on screen) beside a gutter of line numbers that scrolls with it. When the coordinator's
// compiler points at a line, the gutter marks it, a band lies behind that line of text, and the
// caret is put there (the page focuses the field), so the fix starts where the problem is.
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import type { TextLocation } from './formValues';

export interface CodeEditorProps {
  /** id, name, aria-* and data-testid, as every field input gets them. */
  inputProps: Record<string, string | boolean | undefined>;
  value: string;
  /** Where the current error points, if it points at a line. */
  location: TextLocation | undefined;
  maxLength?: number | undefined;
  onChange(value: string): void;
}

/** Lines shown before the editor scrolls (it grows with the text up to this). */
const MAX_VISIBLE_LINES = 24;
const MIN_VISIBLE_LINES = 8;

/** The offset in `text` of 1-based (line, column), clamped to the text. */
export function offsetOf(text: string, line: number, column = 1): number {
  let offset = 0;
  for (let l = 1; l < line; l += 1) {
    const next = text.indexOf('\n', offset);
    if (next === -1) return text.length;
    offset = next + 1;
  }
  const end = text.indexOf('\n', offset);
  const lineEnd = end === -1 ? text.length : end;
  return Math.min(offset + Math.max(0, column - 1), lineEnd);
}

export function CodeEditor({ inputProps, value, location, maxLength, onChange }: CodeEditorProps) {
  const textarea = useRef<HTMLTextAreaElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const lines = value.split('\n').length;
  const rows = Math.min(MAX_VISIBLE_LINES, Math.max(MIN_VISIBLE_LINES, lines + 1));
  const marked = location && location.line <= lines ? location.line : null;

  // A new error location: the caret goes to it, and the line is scrolled into view. Keyed on
  // the numbers, not the object, so typing elsewhere on the form leaves the caret alone.
  const line = location?.line;
  const column = location?.column;
  useEffect(() => {
    const area = textarea.current;
    if (!area || line === undefined) return;
    const at = offsetOf(area.value, line, column);
    area.setSelectionRange(at, at);
    const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
    const top = (line - 1) * lineHeight;
    if (top < area.scrollTop || top > area.scrollTop + area.clientHeight - 2 * lineHeight) {
      area.scrollTop = Math.max(0, top - area.clientHeight / 3);
    }
  }, [line, column]);

  return (
    <div className={`code-editor${marked ? ' has-mark' : ''}`}>
      <div className="code-gutter" aria-hidden="true">
        <div className="code-gutter-lines" style={{ transform: `translateY(${-scrollTop}px)` }}>
          {Array.from({ length: lines }, (_, i) => (
            <div
              key={i}
              className={i + 1 === marked ? 'code-line-number marked' : 'code-line-number'}
              data-testid={i + 1 === marked ? 'code-marked-line' : undefined}
            >
              {i + 1}
            </div>
          ))}
        </div>
      </div>
      <div className="code-text">
        {marked && (
          <div
            className="code-line-band"
            aria-hidden="true"
            style={{
              top: `calc(var(--code-pad) + ${marked - 1} * var(--code-line) - ${scrollTop}px)`,
            }}
          />
        )}
        <textarea
          {...inputProps}
          ref={textarea}
          className="code-input"
          rows={rows}
          wrap="off"
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          autoCorrect="off"
          maxLength={maxLength}
          value={value}
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
          onChange={(e: ChangeEvent<HTMLTextAreaElement>) => onChange(e.target.value)}
        />
      </div>
    </div>
  );
}
