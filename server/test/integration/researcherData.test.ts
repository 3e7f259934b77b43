// A researcher's own data end to end over a real coordinator: upload a CSV (REST, streamed),
// train a 2-hidden-layer MLP on it with Node volunteers, then run inference with the trained
// model over an unlabeled CSV (Node volunteers, and the browser runtime's unit loop on the CPU)
// and download the predictions as CSV and binary. Every figure is checked against one process
// doing the same: training within relative L2 1e-4, predictions class for class.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import { evaluate } from '@tessera/shared/kinds/gradient/gradientReference';
import { trainLocally } from '@tessera/shared/kinds/gradient/localTrainer';
import type { ModelConfig } from '@tessera/shared/kinds/gradient/gradientModel';
import { decodeInferenceResult } from '@tessera/shared/kinds/inference/inferenceResult';
import { predictRows } from '@tessera/shared/kinds/inference/predictRows';
import type { CliIO } from '../../src/cli/output';
import { main } from '../../src/cli/tessera';
import { parseCsvDataset } from '../../src/datasets/csvDataset';
import { estimateSeriesOf } from '../../src/realtime/dashboard/estimateSeries';
import { contentOf, featureStatistics } from '../../src/datasets/datasetCodec';
import { standardize, trainTestOf } from '../../src/datasets/uploadedSets';
import { browserLoop } from '../support/browserLoop';
import { npyBytes } from '../support/npyFile';
import {
  api,
  startTestCoordinator,
  startTestCoordinatorOn,
  TEST_TOKEN,
  waitFor,
} from '../support/testCoordinator';
import { dropSchema, openPg, testSchema } from '../support/postgres';
import { crewOf, finalParams, relativeL2, runToEnd } from '../gradient/gradientSupport';

const FEATURES = 6;
const CLASSES = 3;

/** Seeded clusters whose columns differ in scale by 10^4, as raw CSV columns do. */
function makeCsv(rows: number, seed: number, labeled: boolean): string {
  const set = makeBlobs({ count: rows, inputSize: FEATURES, classes: CLASSES, seed });
  const names = Array.from({ length: FEATURES }, (_, j) => `f${j}`);
  const lines = [[...names, ...(labeled ? ['label'] : [])].join(',')];
  for (let n = 0; n < rows; n++) {
    const cells = Array.from({ length: FEATURES }, (_, j) =>
      String(set.features[n * FEATURES + j]! * 10 ** (j - 2) + j * 100),
    );
    if (labeled) cells.push(String(set.labels[n]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

async function upload(url: string, csv: string, name: string, token: string | null = TEST_TOKEN) {
  const response = await fetch(`${url}/api/datasets?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: {
      'content-type': 'text/csv',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: csv,
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** The CLI in this process, against the test coordinator. */
async function tessera(argv: string[], url: string) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { TESSERA_URL: url, TESSERA_TOKEN: TEST_TOKEN },
    cwd: process.cwd(),
    now: () => Date.now(),
    onInterrupt: () => () => {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function completed(url: string, id: string, crewBehaviors = ['honest', 'honest'] as const) {
  const crew = await crewOf(url, [...crewBehaviors]);
  const view = await runToEnd(url, id, crew, 60_000);
  assert.equal(view.status, 'completed', view.failureReason);
  return crew;
}

/** The suite over one store: SQLite (datasets as files) or PostgreSQL (the datasets table). */
function researcherData(
  store: string,
  start: () => Promise<{ url: string; cleanup(): Promise<void> }>,
) {
  describe(`researchers' own data on ${store}: upload, train, infer`, () => {
    let c: { url: string; cleanup(): Promise<void> };
    const trainCsv = makeCsv(300, 41, true);
    const unlabeledCsv = makeCsv(70, 99, false);
    let trainId: string;
    let unlabeledId: string;
    let trainingWorkload: string;
    const model: ModelConfig = {
      model: 'mlp',
      inputSize: FEATURES,
      hidden: [8, 5],
      classes: CLASSES,
    };
    const spec = {
      model: 'mlp',
      hidden: [8, 5],
      optimizer: { name: 'adam', lr: 0.05 },
      batchSize: 40,
      steps: 12,
      shards: 2,
      seed: 3,
      evalEvery: 4,
    };

    before(async () => {
      c = await start();
    });
    after(async () => {
      await c.cleanup();
    });

    test('upload: 201 with the summary, the same content again is the same dataset', async () => {
      const first = await upload(c.url, trainCsv, 'train.csv');
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.deepEqual(
        { ...first.body, id: undefined, createdAt: undefined, bytes: undefined },
        {
          id: undefined,
          name: 'train.csv',
          rows: 300,
          features: FEATURES,
          classes: CLASSES,
          labeled: true,
          createdAt: undefined,
          bytes: undefined,
        },
      );
      trainId = first.body.id;
      const again = await upload(c.url, trainCsv.replace(/\n/g, '\r\n'), 'copy.csv');
      assert.equal(again.status, 200);
      assert.equal(again.body.id, trainId);
      assert.equal(again.body.name, 'train.csv');
      // The same numbers as a NumPy array (float64, labels in the last column): the same dataset.
      const table = trainCsv
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',').map(Number));
      const npy = await fetch(`${c.url}/api/datasets?name=train.npy&label=last`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-npy', authorization: `Bearer ${TEST_TOKEN}` },
        body: npyBytes(table, '<f8'),
      });
      assert.equal(npy.status, 200);
      assert.equal(((await npy.json()) as { id: string }).id, trainId);
      // Labels in the first column (label=first, or its index 0): the same dataset again.
      const labelsFirst = table.map((row) => [row[row.length - 1]!, ...row.slice(0, -1)]);
      for (const label of ['first', '0']) {
        const moved = await fetch(`${c.url}/api/datasets?name=first.npy&label=${label}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-npy', authorization: `Bearer ${TEST_TOKEN}` },
          body: npyBytes(labelsFirst, '<f4'),
        });
        assert.equal(moved.status, 200, label);
        assert.equal(((await moved.json()) as { id: string }).id, trainId, label);
      }
      const unlabeled = await upload(c.url, unlabeledCsv, 'new-rows.csv');
      assert.equal(unlabeled.status, 201);
      assert.equal(unlabeled.body.labeled, false);
      assert.equal(unlabeled.body.classes, 0);
      unlabeledId = unlabeled.body.id;

      const list = await api(c.url, 'GET', '/api/datasets');
      assert.deepEqual(
        list.body.datasets.map((d: { id: string }) => d.id),
        [trainId, unlabeledId],
      );
      const detail = await api(c.url, 'GET', `/api/datasets/${trainId}`);
      const stats = featureStatistics(contentOf(parseCsvDataset(trainCsv)));
      assert.deepEqual(detail.body.mean, stats.mean);
      assert.deepEqual(detail.body.std, stats.std);
      assert.deepEqual(detail.body.columns, ['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
      assert.equal(
        (await api(c.url, 'GET', '/api/datasets/ds-000000000000000000000000')).status,
        404,
      );
    });

    test('refusals: bad cells with their place, wrong type, no token; nothing is stored', async () => {
      const before = (await api(c.url, 'GET', '/api/datasets')).body.datasets.length;
      const bad = await upload(c.url, 'a,b,label\n1,2,0\n3,oops,1\n', 'bad.csv');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'BAD_REQUEST');
      assert.match(bad.body.error.message, /line 3, column 2: not a number/);
      assert.deepEqual(bad.body.error.details[0], {
        path: 'line 3, column 2',
        message: 'not a number: "oops"',
        line: 3,
        column: 2,
      });
      const ragged = await upload(c.url, 'a,b\n1,2\n3\n', 'ragged.csv');
      assert.match(ragged.body.error.message, /line 3: 1 cells, the header has 2/);
      assert.equal((await upload(c.url, '', 'empty.csv')).status, 400);
      assert.equal((await upload(c.url, trainCsv, 'x.csv', null)).status, 401);
      const npyWith = (label: string, type = 'application/x-npy') =>
        fetch(`${c.url}/api/datasets?name=x.npy&label=${label}`, {
          method: 'POST',
          headers: { 'content-type': type, authorization: `Bearer ${TEST_TOKEN}` },
          body: npyBytes([
            [1, 0],
            [2, 1],
          ]),
        });
      for (const label of ['-1', 'middle', '1.5', '']) {
        const refused = await npyWith(label);
        assert.equal(refused.status, 400, label);
        const { error } = (await refused.json()) as { error: { message: string } };
        assert.match(error.message, /first, last or a 0-based column index/, label);
      }
      const outside = await npyWith('2');
      assert.equal(outside.status, 400);
      assert.match(
        ((await outside.json()) as { error: { message: string } }).error.message,
        /label column 2: the array has 2 columns/,
      );
      const csvLabel = await npyWith('last', 'text/csv');
      assert.equal(csvLabel.status, 400);
      assert.match(
        ((await csvLabel.json()) as { error: { message: string } }).error.message,
        /for \.npy uploads/,
      );
      const json = await api(c.url, 'POST', '/api/datasets', { rows: [] });
      assert.equal(json.status, 400);
      assert.match(json.body.error.message, /text\/csv/);
      assert.equal((await api(c.url, 'GET', '/api/datasets')).body.datasets.length, before);
    });

    test('[G3] a 2-hidden-layer MLP trains on the upload as one process does', async () => {
      const unlabeledTraining = await api(c.url, 'POST', '/api/workloads', {
        kind: 'gradient',
        spec: { ...spec, dataset: unlabeledId },
      });
      assert.equal(unlabeledTraining.status, 400);
      assert.match(unlabeledTraining.body.error.message, /no label column/);
      const sneaky = await api(c.url, 'POST', '/api/workloads', {
        kind: 'gradient',
        spec: {
          ...spec,
          dataset: trainId,
          data: { rows: 9, features: 1, classes: 2, train: 8, test: 1 },
        },
      });
      assert.equal(sneaky.status, 400);
      assert.equal(sneaky.body.error.details[0].path, 'spec.data');

      const submitted = await api(c.url, 'POST', '/api/workloads', {
        kind: 'gradient',
        spec: { ...spec, dataset: trainId },
      });
      assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
      trainingWorkload = submitted.body.id;
      assert.deepEqual(submitted.body.spec.data, {
        rows: 300,
        features: 6,
        classes: 3,
        train: 240,
        test: 60,
      });
      // In use: the dataset cannot be deleted while the workload runs.
      const refused = await api(c.url, 'DELETE', `/api/datasets/${trainId}`);
      assert.equal(refused.status, 409);
      assert.match(refused.body.error.message, new RegExp(trainingWorkload));

      await completed(c.url, trainingWorkload);
      const content = contentOf(parseCsvDataset(trainCsv));
      const sets = trainTestOf(content, featureStatistics(content));
      const local = trainLocally({
        config: model,
        train: sets.train,
        optimizer: { name: 'adam', lr: 0.05 },
        batchSize: 40,
        steps: 12,
        seed: 3,
        shards: 2,
      });
      const { params } = await finalParams(c.url, trainingWorkload);
      const err = relativeL2(params, local.params);
      assert.ok(err <= 1e-4, `relative L2 ${err}`);
      const result = (await api(c.url, 'GET', `/api/workloads/${trainingWorkload}/result`)).body;
      // The result states the split and the statistics the features were standardised with.
      assert.deepEqual(result.data, {
        dataset: trainId,
        rows: 300,
        features: 6,
        classes: 3,
        train: 240,
        test: 60,
      });
      assert.deepEqual(result.standardization, featureStatistics(content));
      const heldOut = evaluate(model, params, sets.test).accuracy;
      assert.ok(Math.abs(result.accuracy - heldOut) < 1e-12, `${result.accuracy} vs ${heldOut}`);
      assert.ok(result.accuracy > 0.8, `held-out accuracy ${result.accuracy}`);
    });

    test('[I1][I2][I3] inference over unlabeled rows: every class as one process predicts it, CSV, binary, CLI', async () => {
      const mismatch = await upload(c.url, 'a,b\n1,2\n', 'narrow.csv');
      const wrongWidth = await api(c.url, 'POST', '/api/workloads', {
        kind: 'inference',
        spec: { workload: trainingWorkload, dataset: mismatch.body.id },
      });
      assert.equal(wrongWidth.status, 400);
      assert.match(wrongWidth.body.error.message, /2 features, the model takes 6/);
      const notTraining = await api(c.url, 'POST', '/api/workloads', {
        kind: 'inference',
        spec: { workload: 'nope', dataset: unlabeledId },
      });
      assert.equal(notTraining.body.error.details[0].path, 'spec.workload');

      const submitted = await api(c.url, 'POST', '/api/workloads', {
        kind: 'inference',
        spec: { workload: trainingWorkload, dataset: unlabeledId, rowsPerUnit: 16 },
      });
      assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
      const id = submitted.body.id;
      assert.equal(submitted.body.progress.unitsTotal, 5);
      // A liar that claims another class for one row never gets it accepted.
      await completed(c.url, id, ['honest', 'honest', 'poison-flip'] as never);

      const { params } = await finalParams(c.url, trainingWorkload);
      const train = contentOf(parseCsvDataset(trainCsv));
      const rows = contentOf(parseCsvDataset(unlabeledCsv));
      const x = standardize(rows.values, FEATURES, featureStatistics(train));
      const expected = predictRows(model, params, {
        dtype: 'float32',
        count: rows.rows,
        inputSize: FEATURES,
        classes: CLASSES,
        features: x,
        labels: new Uint8Array(rows.rows),
      });
      const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
      assert.equal(result.final, true);
      assert.equal(result.rows, 70);
      assert.equal(result.labeled, false);
      assert.equal(estimateSeriesOf(result)[0]?.name, 'rowsPredicted');
      assert.deepEqual(result.predictions, Array.from(expected.classes));
      const perClass = [0, 0, 0];
      for (const k of expected.classes) perClass[k]! += 1;
      assert.deepEqual(result.classCounts, perClass);

      const csv = await fetch(`${c.url}/api/workloads/${id}/result?format=csv`);
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-type')!, /text\/csv/);
      const lines = (await csv.text()).trim().split('\n');
      assert.equal(lines[0], 'row,class,p0,p1,p2');
      assert.equal(lines.length, 71);
      lines.slice(1).forEach((line, n) => {
        const [row, cls, ...p] = line.split(',').map(Number);
        assert.equal(row, n);
        assert.equal(cls, expected.classes[n]);
        p.forEach((v, j) => assert.ok(Math.abs(v! - expected.probabilities[n * 3 + j]!) < 1e-4));
      });
      const bin = await fetch(`${c.url}/api/workloads/${id}/result?format=bin`);
      const decoded = decodeInferenceResult(new Uint8Array(await bin.arrayBuffer()));
      assert.deepEqual(Array.from(decoded.classes), Array.from(expected.classes));

      // The CLI: the same CSV on stdout, and the answer in words.
      const csvRun = await tessera(['result', id, '--format', 'csv'], c.url);
      assert.equal(csvRun.code, 0, csvRun.stderr);
      assert.deepEqual(csvRun.stdout.trim().split('\n'), lines);
      const jsonRun = await tessera(['result', id], c.url);
      assert.match(jsonRun.stderr, /predicted 70 of 70 rows into 3 classes/);
      assert.deepEqual(JSON.parse(jsonRun.stdout).predictions, result.predictions);
    });

    test('[R9][R4] a volunteer alone that makes up its predictions is caught by a spot check and unfolded', async () => {
      const submitted = await api(c.url, 'POST', '/api/workloads', {
        kind: 'inference',
        spec: { workload: trainingWorkload, dataset: unlabeledId, rowsPerUnit: 16 },
        redundancy: { quorum: 1, maxReplicas: 6 },
      });
      assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
      const id = submitted.body.id;
      // The liar alone: each lone result settles its unit at once, and is spot-checked after.
      const [liar] = await crewOf(c.url, ['poison-scale']);
      const lying = liar!.run().catch(() => undefined);
      try {
        await waitFor(
          async () => {
            const metrics = (await api(c.url, 'GET', '/metrics')).body as string;
            return /tessera_spot_checks_total\{[^}]*outcome="failed"[^}]*\} [1-9]/.test(metrics);
          },
          30_000,
          'a failed spot check',
        );
      } finally {
        liar!.close();
        await lying;
      }
      // An honest crew recomputes what the liar settled: every prediction is the model's.
      await completed(c.url, id);
      const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
      const { params } = await finalParams(c.url, trainingWorkload);
      const rows = contentOf(parseCsvDataset(unlabeledCsv));
      const train = contentOf(parseCsvDataset(trainCsv));
      const expected = predictRows(model, params, {
        dtype: 'float32',
        count: rows.rows,
        inputSize: FEATURES,
        classes: CLASSES,
        features: standardize(rows.values, FEATURES, featureStatistics(train)),
        labels: new Uint8Array(rows.rows),
      });
      assert.deepEqual(result.predictions, Array.from(expected.classes));
      // [R4] The liar's settled units were taken back out of the tally (unfolded) before they
      // were recomputed: every row counted once, in the class the model gives it.
      assert.equal(result.rowsPredicted, 70);
      const perClass = [0, 0, 0];
      for (const k of expected.classes) perClass[k]! += 1;
      assert.deepEqual(result.classCounts, perClass);
    });

    test('inference by the browser runtime (CPU) over the labeled rows gives accuracy', async () => {
      const submitted = await api(c.url, 'POST', '/api/workloads', {
        kind: 'inference',
        spec: { workload: trainingWorkload, dataset: trainId, rowsPerUnit: 64 },
      });
      assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
      const id = submitted.body.id;
      // A second workload of the same model: the tabs keep the model by hash, not by workload.
      const again = await api(c.url, 'POST', '/api/workloads', {
        kind: 'inference',
        spec: { workload: trainingWorkload, dataset: unlabeledId, rowsPerUnit: 64 },
      });
      assert.equal(again.status, 201, JSON.stringify(again.body));
      const tabs = [await browserLoop(c.url), await browserLoop(c.url)];
      const stop = new AbortController();
      const running = tabs.map((t) => t.loop.run(stop.signal));
      try {
        for (const workload of [id, again.body.id]) {
          const view = await waitFor(
            async () => {
              const res = await api(c.url, 'GET', `/api/workloads/${workload}`);
              return ['completed', 'failed'].includes(res.body.status) ? res.body : null;
            },
            30_000,
            'the inference to finish',
          );
          assert.equal(view.status, 'completed', view.failureReason);
        }
      } finally {
        stop.abort();
        await Promise.all(running);
        tabs.forEach((t) => t.socket.close());
      }
      const { params } = await finalParams(c.url, trainingWorkload);
      const content = contentOf(parseCsvDataset(trainCsv));
      const stats = featureStatistics(content);
      const all = {
        dtype: 'float32' as const,
        count: content.rows,
        inputSize: FEATURES,
        classes: CLASSES,
        features: standardize(content.values, FEATURES, stats),
        labels: content.labels!,
      };
      const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
      const local = evaluate(model, params, all);
      assert.equal(result.labeled, true);
      assert.equal(result.correct, Math.round(local.accuracy * content.rows));
      // The live dashboard's headline is the accuracy (unlabeled: the rows predicted).
      assert.equal(estimateSeriesOf(result)[0]?.name, 'accuracy');
      assert.ok(Math.abs(result.accuracy - local.accuracy) < 1e-12);
      for (const tab of tabs) {
        const models = tab.fetched.filter((p) => p.endsWith('/model'));
        assert.ok(models.length <= 1, `a tab downloads the model once: ${models.join(', ')}`);
      }
      // Done with: the training dataset may go now.
      assert.equal((await api(c.url, 'DELETE', `/api/datasets/${trainId}`)).status, 204);
      assert.equal((await api(c.url, 'GET', `/api/datasets/${trainId}`)).status, 404);
    });
  });
}

const SCHEDULER = { leaseDurationMs: 5_000, sweepIntervalMs: 50, retryAfterMs: 20 };

researcherData('SQLite', () => startTestCoordinator({ scheduler: SCHEDULER }));
researcherData('PostgreSQL', async () => {
  const schema = testSchema('researcher_data');
  const running = await startTestCoordinatorOn(await openPg(schema), { scheduler: SCHEDULER });
  return {
    url: running.url,
    async cleanup() {
      await running.cleanup();
      await dropSchema(schema);
    },
  };
});
