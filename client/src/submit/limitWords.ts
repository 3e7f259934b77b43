// A field's limits and default in words, as shown beside its input: "integer · 1 to 2^50 ·
// required", "default 2^24". Large powers of two read as powers of two, as the specs define them.
import type { FormField } from './formFields';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

/** 2^24 for powers of two from 2^16 up, 2^53 − 1 for the largest safe integer, else 1,000. */
export function numberWords(n: number): string {
  if (n === Number.MAX_SAFE_INTEGER) return '2^53 − 1';
  if (Number.isInteger(n) && n >= 2 ** 16) {
    const log = Math.log2(n);
    if (Number.isInteger(log)) return `2^${log}`;
  }
  return number.format(n);
}

function rangeWords(field: FormField): string | null {
  const { minimum: lo, maximum: hi } = field;
  const loWords = lo === undefined ? null : numberWords(lo);
  const hiWords = hi === undefined ? null : numberWords(hi);
  if (field.exclusiveMinimum || field.exclusiveMaximum) {
    const parts = [
      loWords && `${field.exclusiveMinimum ? '>' : '≥'} ${loWords}`,
      hiWords && `${field.exclusiveMaximum ? '<' : '≤'} ${hiWords}`,
    ].filter(Boolean);
    return parts.length ? parts.join(' and ') : null;
  }
  if (loWords && hiWords) return `${loWords} to ${hiWords}`;
  if (loWords) return `≥ ${loWords}`;
  if (hiWords) return `≤ ${hiWords}`;
  return null;
}

function defaultWords(value: unknown): string {
  if (typeof value === 'number') return numberWords(value);
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

/**
 * The limits part: "integer, 1 to 2^50", "number, > 0 and ≤ 100", "integer, 1 to 4,096, or a
 * list of 1 to 8", "call or put", "a, b or c", "mnist, blobs or one of yours",
 * "comma-separated, 1 to 8 names".
 */
export function limitWords(field: FormField): string {
  const parts: string[] = [];
  switch (field.kind) {
    case 'integer':
    case 'number': {
      const range = rangeWords(field);
      const one = range ? `${field.kind}, ${range}` : field.kind;
      if (!field.orList) {
        parts.push(one);
        break;
      }
      const { minItems: lo, maxItems: hi } = field;
      // "integer, 1 to 4,096, or a list of 1 to 8"
      parts.push(
        lo !== undefined && hi !== undefined
          ? `${one}, or a list of ${lo} to ${hi}`
          : `${one}, or a list`,
      );
      break;
    }
    case 'string':
    case 'code':
      if (field.maxLength !== undefined) {
        parts.push(`up to ${number.format(field.maxLength)} characters`);
      }
      break;
    case 'list': {
      const { minItems: lo, maxItems: hi } = field;
      const count =
        lo !== undefined && hi !== undefined
          ? lo === hi
            ? `${lo}`
            : `${lo} to ${hi}`
          : lo !== undefined
            ? `at least ${lo}`
            : hi !== undefined
              ? `up to ${hi}`
              : null;
      parts.push(
        count ? `comma-separated, ${count} ${hi === 1 ? 'name' : 'names'}` : 'comma-separated',
      );
      break;
    }
    case 'choice': {
      // An open choice also takes what the coordinator lists (a researcher's uploads).
      const options = [...(field.options ?? []), ...(field.open ? ['one of yours'] : [])];
      parts.push(
        options.length > 2
          ? `${options.slice(0, -1).join(', ')} or ${options.at(-1)}`
          : options.join(' or '),
      );
      break;
    }
    case 'boolean':
      break;
  }
  if (field.default !== undefined) parts.push(`default ${defaultWords(field.default)}`);
  else if (field.required) parts.push('required');
  else parts.push('optional');
  return parts.join(' · ');
}
