// One form field: its label, the input that suits its kind (a code editor for a kernel's source,
// a select of what the coordinator holds for a dataset or a model), its limits and default
// beside it, and its error (from the form's own check or from the coordinator) right under it;
// a compile error also marks its line in the editor.
import { CodeEditor } from './CodeEditor';
import type { FormField } from './formFields';
import type { FieldHint } from './estimatorHints';
import type { TextLocation } from './formValues';
import { limitWords, numberWords } from './limitWords';
import type { ChoiceList } from './submitChoices';

export interface FieldInputProps {
  field: FormField;
  hint: FieldHint | undefined;
  value: string;
  error: string | undefined;
  /** Where the error points in the field's text (a kernel's compile error), if anywhere. */
  location?: TextLocation | undefined;
  /** What the coordinator holds for this field (hint.choices): listed after the schema's own. */
  choices?: ChoiceList | undefined;
  onChange(value: string): void;
}

/** `spec.params.spot` → `field-spec-params-spot`: an id and a test id that CSS and tests can use. */
export function fieldId(key: string): string {
  return `field-${key.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

function lastSegment(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}

/**
 * A select of the schema's options, then the coordinator's (grouped when there are both). A
 * value in neither (an id typed into the URL, a list not loaded yet) stays listed as it is.
 */
function ChoiceSelect({
  common,
  field,
  value,
  choices,
  onChange,
}: {
  common: Record<string, unknown>;
  field: FormField;
  value: string;
  choices: ChoiceList | undefined;
  onChange(value: string): void;
}) {
  const own = field.options ?? [];
  const theirs = choices?.items ?? [];
  const known = own.includes(value) || theirs.some((c) => c.value === value);
  const listed = theirs.map((c) => (
    <option key={c.value} value={c.value} disabled={c.disabled}>
      {c.label}
    </option>
  ));
  return (
    <select
      {...common}
      className={choices ? 'wide-select' : undefined}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    >
      {!field.required || value === '' ? <option value="">—</option> : null}
      {own.map((option) => (
        <option key={option} value={option}>
          {option}
        </option>
      ))}
      {own.length > 0 && theirs.length > 0 ? (
        <optgroup label={choices?.group}>{listed}</optgroup>
      ) : (
        listed
      )}
      {value !== '' && !known && <option value={value}>{value}</option>}
    </select>
  );
}

/** The field as its limits are told: what the person does not control is left out. */
function limitsOf(field: FormField, hint: FieldHint | undefined, choices: ChoiceList | undefined) {
  // A chosen id's length is no concern of the person choosing it.
  const { maxLength: _length, ...chosen } = field;
  const told = field.kind === 'string' && choices ? chosen : field;
  return hint?.placeholder ? { ...told, default: undefined } : told;
}

export function FieldInput({
  field,
  hint,
  value,
  error,
  location,
  choices,
  onChange,
}: FieldInputProps) {
  const id = fieldId(field.key);
  const note = choices?.note ?? null;
  const describedBy = [
    `${id}-limits`,
    hint?.help ? `${id}-help` : null,
    note ? `${id}-note` : null,
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

  // A choice, and a string the coordinator names (a model's workload id, a dataset's id), are
  // chosen, not typed.
  const chooses = field.kind === 'choice' || (field.kind === 'string' && choices !== undefined);
  let input;
  switch (chooses ? 'choice' : field.kind) {
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
        <ChoiceSelect
          common={common}
          field={field}
          value={value}
          choices={choices}
          onChange={onChange}
        />
      );
      break;
    case 'integer':
    case 'number':
      input = (
        <input
          {...common}
          type="text"
          // A list's brackets and commas are on no numeric keypad.
          inputMode={field.orList ? 'text' : field.kind === 'integer' ? 'numeric' : 'decimal'}
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
      {/* A placeholder of its own says what an empty field means: the schema's default is not it
          (limitsOf). */}
      {limitWords(limitsOf(field, hint, choices))}
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
      {note && (
        <p className="field-note" id={`${id}-note`} data-testid={`${id}-note`}>
          {note}
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
