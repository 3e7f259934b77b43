// One form field: its label, the input that suits its kind (a code editor for a kernel's source),
// its limits and default beside it, and its error (from the form's own check or from the
// coordinator) right under it; a compile error also marks its line in the editor.
import { CodeEditor } from './CodeEditor';
import type { FormField } from './formFields';
import type { FieldHint } from './estimatorHints';
import type { TextLocation } from './formValues';
import { limitWords, numberWords } from './limitWords';

export interface FieldInputProps {
  field: FormField;
  hint: FieldHint | undefined;
  value: string;
  error: string | undefined;
  /** Where the error points in the field's text (a kernel's compile error), if anywhere. */
  location?: TextLocation | undefined;
  onChange(value: string): void;
}

/** `spec.params.spot` → `field-spec-params-spot`: an id and a test id that CSS and tests can use. */
export function fieldId(key: string): string {
  return `field-${key.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

function lastSegment(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}

export function FieldInput({ field, hint, value, error, location, onChange }: FieldInputProps) {
  const id = fieldId(field.key);
  const describedBy = [
    `${id}-limits`,
    hint?.help ? `${id}-help` : null,
    error ? `${id}-error` : null,
  ]
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    name: field.key,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
    'data-testid': id,
  } as const;
  const label = hint?.label ?? lastSegment(field.key);

  let input;
  switch (field.kind) {
    case 'boolean':
      input = (
        <input
          {...common}
          type="checkbox"
          checked={value === 'true'}
          onChange={(e) => onChange(String(e.target.checked))}
        />
      );
      break;
    case 'choice':
      input = (
        <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
          {!field.required || value === '' ? <option value="">—</option> : null}
          {(field.options ?? []).map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      );
      break;
    case 'integer':
    case 'number':
      input = (
        <input
          {...common}
          type="text"
          inputMode={field.kind === 'integer' ? 'numeric' : 'decimal'}
          autoComplete="off"
          spellCheck={false}
          placeholder={
            hint?.placeholder ??
            (typeof field.default === 'number'
              ? `${numberWords(field.default)} (default)`
              : undefined)
          }
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case 'string':
    case 'list':
      input = (
        <input
          {...common}
          type="text"
          maxLength={field.maxLength}
          autoComplete="off"
          spellCheck={field.kind === 'string'}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case 'code':
      input = (
        <CodeEditor
          inputProps={common}
          value={value}
          location={error ? location : undefined}
          maxLength={field.maxLength}
          onChange={onChange}
        />
      );
      break;
  }

  const limits = (
    <span className="field-limits" id={`${id}-limits`}>
      {/* A placeholder of its own says what an empty field means: the schema's default is not it. */}
      {limitWords(hint?.placeholder ? { ...field, default: undefined } : field)}
    </span>
  );
  return (
    <div className={`form-field${error ? ' invalid' : ''}`}>
      {field.kind === 'boolean' ? (
        // A checkbox reads left to right: the box, what it means, then its default.
        <div className="checkbox-row">
          {input}
          <label htmlFor={id}>{label}</label>
          {limits}
        </div>
      ) : (
        <>
          <label htmlFor={id}>{label}</label>
          <div className="form-control">
            {input}
            {limits}
          </div>
        </>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`} data-testid={`${id}-error`}>
          {error}
        </p>
      )}
      {hint?.help && (
        <p className="field-help" id={`${id}-help`}>
          {hint.help}
        </p>
      )}
    </div>
  );
}
