// The /submit page: upload a CSV of your own and see the coordinator's datasets, pick a workload
// type (a Monte Carlo estimator, gradient training, or inference with a trained model), fill in
// its spec (fields, limits and defaults come from the shared zod schemas; fields of an option
// not chosen are hidden; datasets and models are chosen from what the coordinator holds), and
// send it with the researcher token through the API client. Mistakes show next to their field,
// whether the form caught them or the coordinator did.
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import {
  ApiError,
  ERROR_CODES,
  TesseraClient,
  type FieldError,
  type WorkloadView,
} from '@tessera/shared';
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import { SiteNav } from '../dashboard/SiteNav';
import { DatasetsPanel } from './DatasetsPanel';
import { FieldInput } from './FieldInput';
import { checkForm, isShown, placeErrors, type FormValues } from './formValues';
import { choiceList } from './submitChoices';
import { SubmittedNotice } from './SubmittedNotice';
import { TokenField } from './TokenField';
import { useCoordinatorData } from './useCoordinatorData';
import { useResearcherToken } from './useResearcherToken';
import { WORKLOAD_FORMS, allFields, initialValues, type WorkloadForm } from './workloadForms';
import './submit.css';

const KIND_GROUPS = [
  { kind: 'montecarlo', label: 'Monte Carlo' },
  { kind: 'gradient', label: 'Gradient training' },
  { kind: 'inference', label: 'Inference' },
] as const;

function formFromUrl(): WorkloadForm {
  const wanted = new URLSearchParams(window.location.search).get('type');
  return WORKLOAD_FORMS.find((f) => f.id === wanted) ?? WORKLOAD_FORMS[0]!;
}

/**
 * The form's first values: its examples, with any spec field the URL names
 * (`?type=inference/predict&workload=ID`, as the workload page links a trained model).
 */
function valuesFromUrl(form: WorkloadForm): FormValues {
  const values = initialValues(form);
  for (const [name, value] of new URLSearchParams(window.location.search)) {
    if (`spec.${name}` in values) values[`spec.${name}`] = value;
  }
  return values;
}

export function SubmitPage() {
  const [form, setForm] = useState(formFromUrl);
  const [values, setValues] = useState<FormValues>(() => valuesFromUrl(form));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [tokenError, setTokenError] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [submitted, setSubmitted] = useState<WorkloadView | null>(null);
  const token = useResearcherToken();
  const coordinator = useCoordinatorData();
  const formRef = useRef<HTMLFormElement>(null);
  const noticeRef = useRef<HTMLDivElement>(null);

  const fields = useMemo(() => allFields(form), [form]);
  const shown = useMemo(() => fields.filter((f) => isShown(f, values)), [fields, values]);
  // Errors for a hidden field are said in general words, not lost with their field.
  const placed = useMemo(() => placeErrors(errors, shown), [errors, shown]);
  const redundancyHasError = form.redundancyFields.some((f) => placed.byField.has(f.key));
  const advancedHasError = form.advancedFields.some((f) => placed.byField.has(f.key));

  useEffect(() => {
    if (submitted) noticeRef.current?.scrollIntoView({ block: 'nearest' });
  }, [submitted]);

  function chooseForm(id: string, preset: FormValues = {}) {
    const next = WORKLOAD_FORMS.find((f) => f.id === id);
    if (!next) return;
    setForm(next);
    setValues({ ...initialValues(next), ...preset });
    setErrors([]);
    setFailure(null);
    // A model may have finished training since the lists were read.
    coordinator.reload();
    const url = new URL(window.location.href);
    url.search = new URLSearchParams({ type: next.id }).toString();
    window.history.replaceState(null, '', url);
  }

  /** A dataset just uploaded, put to use: trained on when labeled, else predicted. */
  function putToUse(dataset: DatasetInfo) {
    chooseForm(dataset.labeled ? 'gradient/train' : 'inference/predict', {
      'spec.dataset': dataset.id,
    });
    formRef.current
      ?.querySelector('#workload-type')
      ?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }

  function change(key: string, value: string) {
    setValues((old) => ({ ...old, [key]: value }));
    // A list's item errors (spec.outputs.1) go with the list.
    setErrors((old) => old.filter((e) => e.path !== key && !e.path.startsWith(`${key}.`)));
  }

  // Focus moves to the first field that needs attention once React has drawn the errors: an
  // effect runs after that commit (a frame callback could run before it and find no field).
  const [focusRequest, setFocusRequest] = useState(0);
  useEffect(() => {
    if (focusRequest === 0) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusRequest]);
  const focusFirstError = () => setFocusRequest((n) => n + 1);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    const checked = checkForm(fields, form.fixed, values);
    const missingToken = token.token.trim() === '';
    setTokenError(missingToken ? 'enter your researcher token' : null);
    if (!checked.ok || missingToken) {
      setErrors(checked.ok ? [] : checked.errors);
      focusFirstError();
      return;
    }
    setErrors([]);
    setSending(true);
    try {
      const client = new TesseraClient({ baseUrl: '', token: token.token.trim() });
      const view = await client.submit(checked.body);
      token.save();
      setSubmitted(view);
      coordinator.reload();
    } catch (error) {
      if (!(error instanceof ApiError)) {
        setFailure(String(error));
      } else if (error.code === ERROR_CODES.unauthorized) {
        setTokenError('The coordinator does not accept this token: check it and try again.');
        focusFirstError();
      } else if (error.fieldErrors.length > 0) {
        setErrors(error.fieldErrors);
        focusFirstError();
      } else {
        setFailure(error.message);
      }
    } finally {
      setSending(false);
    }
  }

  const general = [...placed.general, ...(failure ? [failure] : [])];
  const choicesOf = (key: string) => {
    const source = form.hints[key]?.choices;
    return source ? choiceList(source, coordinator, values) : undefined;
  };
  const field = (f: (typeof fields)[number]) =>
    isShown(f, values) && (
      <FieldInput
        key={f.key}
        field={f}
        hint={form.hints[f.key]}
        value={values[f.key] ?? ''}
        error={placed.byField.get(f.key)}
        location={placed.locations.get(f.key)}
        choices={choicesOf(f.key)}
        onChange={(value) => change(f.key, value)}
      />
    );

  return (
    <main className="page submit-page">
      <header className="submit-head">
        <div>
          <h1>Submit a workload</h1>
          <p className="tagline">
            Describe a computation; volunteers’ browsers run it in small units, and the coordinator
            checks their results against each other before combining them.
          </p>
        </div>
        <SiteNav current="/submit" />
      </header>

      <form
        ref={formRef}
        noValidate
        // submit() shows every failure on the page, so its promise has nothing left to reject.
        onSubmit={(event) => void submit(event)}
        aria-label="Submit a workload"
      >
        <section className="card" aria-label="Researcher token">
          <h2>Researcher token</h2>
          <TokenField state={token} error={tokenError} />
        </section>

        <DatasetsPanel
          token={token}
          datasets={coordinator.datasets}
          loadError={coordinator.error}
          onChanged={coordinator.reload}
          onUse={putToUse}
        />

        <section className="card" aria-label="Workload">
          <h2>Workload</h2>
          <div className="form-field">
            <label htmlFor="workload-type">Type</label>
            <div className="form-control">
              <select
                id="workload-type"
                className="type-select"
                data-testid="workload-type"
                value={form.id}
                onChange={(e) => chooseForm(e.target.value)}
              >
                {KIND_GROUPS.map((group) => (
                  <optgroup key={group.kind} label={group.label}>
                    {WORKLOAD_FORMS.filter((f) => f.kind === group.kind).map((f) => (
                      <option key={f.id} value={f.id}>
                        {f.title}
                      </option>
                    ))}
                  </optgroup>
                ))}
              </select>
            </div>
            <p className="field-help">{form.summary}</p>
          </div>
          {form.specFields.map(field)}
          {field(form.nameField)}
          {form.advancedFields.length > 0 && (
            <details className="advanced" open={advancedHasError || undefined}>
              <summary>{form.advancedTitle}</summary>
              <p className="field-help">Left empty, each takes the default beside it.</p>
              {form.advancedFields.map(field)}
            </details>
          )}
          <details className="advanced" open={redundancyHasError || undefined}>
            <summary>Redundancy (advanced)</summary>
            <p className="field-help">
              How results are checked: each unit is computed on several volunteers’ devices until
              enough identical answers agree.
            </p>
            {form.redundancyFields.map(field)}
          </details>
        </section>

        {general.length > 0 && (
          <div className="error" role="alert" data-testid="form-error">
            {general.map((message) => (
              <p key={message}>{message}</p>
            ))}
          </div>
        )}

        <div className="submit-actions">
          <button
            type="submit"
            className="contribute-button"
            data-testid="submit"
            disabled={sending}
          >
            {sending ? 'Submitting…' : 'Submit workload'}
          </button>
        </div>
      </form>

      <div ref={noticeRef}>{submitted && <SubmittedNotice view={submitted} />}</div>
    </main>
  );
}
