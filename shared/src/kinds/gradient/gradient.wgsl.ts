// Gradient-unit kernels, WGSL: the building blocks of one model's forward and backward pass,
// chained by gradientPlan.ts into the dispatches of a unit. Twin of gradientReference.ts (same
// maths, float32 here). No RNG: a unit is a pure function of (params, shard).
//
// One module for every model, shape and feature type: sizes, offsets and strides come from a
// per-dispatch uniform (PassUniform), so a device compiles these five pipelines once, ever
// (SwiftShader takes ~1 s per matrix-product pipeline: per model shape it would add up).
//
// Bindings (GRADIENT_BINDINGS, one bind group):
//   @binding(0) uniform cfg: PassUniform   this dispatch's parameters; a dynamic offset picks
//                                          the dispatch's slot of the unit's uniform buffer
//   @binding(1) storage read features: array<u32>   the shard's features, row-major (example n,
//                                          feature d at element n*D + d): cfg.x_uint8 = 1: four
//                                          bytes per word, little-endian, value = byte / 255;
//                                          0: float32 bit patterns
//   @binding(2) storage read labels: array<u32>     one label per example, < K (checked on the CPU)
//   @binding(3) storage rw work: array<f32>         params, gradSum, sums and activations
//                                          (layout in gradientPlan.ts: workLayout)
//
// Entry points:
//   matmul_wide / matmul_narrow: C = A B (+ epilogue), where A[r, i] = src_a[a_base + r*a_row +
//     i*a_inner] (src_a = features when cfg.a_from_x, else work), B[i, c] = work[b_base +
//     i*b_inner + c*b_col], C[r, c] -> work[c_base + r*c_row + c]. Strides make transposes free
//     (x^T, h^T, W2^T). Epilogues: none | + bias[c] | relu(+ bias[c]) | * [mask[r, c] > 0]
//     (bias at work[aux_base + c], mask at work[aux_base + r*c_row + c]).
//     Tiled in workgroup memory: a workgroup of X x Y invocations (wide 8 x 8, narrow 4 x 16 for
//     C of <= 16 columns, the class layer) computes a 4Y x 4X block of C, each invocation a 4 x 4
//     sub-block in four vec4 accumulators, stepping through the inner dimension 8 at a time via
//     a 4Y x 8 tile of A and an 8 x 4X tile of B held as vec4s. Register blocking matters: one
//     output per invocation (16 x 16 tiles, 16 multiply-adds per barrier pair) ran 5-10x slower
//     on SwiftShader. The 8-deep step keeps SwiftShader's compile near a second (32 took ~3 s) for
//     about the same run time.
//   softmax_xent: one invocation per example n: z = logits row n (work[c_base + n*K ..]),
//     m = max z, loss = log(sum exp(z - m)) - (z_y - m) -> work[loss_base + n], hit (first-highest
//     logit is the label, 1.0 or 0.0) -> work[hit_base + n]; the row becomes delta = p - onehot.
//   column_sum: one workgroup per column c: work[c_base + c] = sum over n < rows of
//     work[a_base + n*cols + c] (bias gradients), a tree reduction in workgroup memory.
//   loss_sum: one workgroup: work[c_base] = sum of losses, work[c_base + 1] = sum of hits.
// Invariants: every shape is bounds-checked (elements past an edge load as 0 and are never
// stored), so no size needs to be a multiple of a tile; barriers sit in uniform control flow
// (loop bounds come from the uniform); every gradSum element is written, never accumulated, so
// nothing needs clearing between units.

export const GRADIENT_BINDINGS = {
  pass: 0,
  features: 1,
  labels: 2,
  work: 3,
} as const;

/** PassUniform's fields in WGSL order: one u32 each. */
export const PASS_FIELDS = [
  'rows',
  'cols',
  'inner',
  'epilogue',
  'a_from_x',
  'a_base',
  'a_row',
  'a_inner',
  'b_base',
  'b_inner',
  'b_col',
  'c_base',
  'c_row',
  'aux_base',
  'x_uint8',
  'loss_base',
  'hit_base',
] as const;
export type PassUniform = Record<(typeof PASS_FIELDS)[number], number>;

/** Bytes of one PassUniform (u32 fields, padded to 16 as uniform structs are). */
export const PASS_UNIFORM_BYTES = Math.ceil((4 * PASS_FIELDS.length) / 16) * 16;

export const EPILOGUES = {
  none: 0,
  bias: 1,
  biasRelu: 2,
  reluMask: 3,
} as const;

export const MATMUL_INNER_TILE = 8;
export const REDUCE_WORKGROUP = 64;

/** Invocations (x, y) of each matrix-product entry point; each computes 4 x 4 outputs. */
export const MATMUL_THREADS = {
  matmul_wide: { x: 8, y: 8 },
  matmul_narrow: { x: 4, y: 16 },
} as const;
export type MatmulEntry = keyof typeof MATMUL_THREADS;

function matmulEntry(name: MatmulEntry): string {
  const { x: tx, y: ty } = MATMUL_THREADS[name];
  const threads = tx * ty;
  const kt = MATMUL_INNER_TILE;
  const quad = (f: string, first: string, second: string, shifted: 'first' | 'second') =>
    [0, 1, 2, 3]
      .map((j) => {
        const offset = j === 0 ? '' : ` + ${j}u`;
        return shifted === 'first'
          ? `${f}(${first}${offset}, ${second})`
          : `${f}(${first}, ${second}${offset})`;
      })
      .join(', ');
  const storeRow = (j: number) => /* wgsl */ `
      if (r0 + ${j}u < cfg.rows) {
        store_c(r0 + ${j}u, c, acc${j}[j]);
      }`;
  return /* wgsl */ `
var<workgroup> ${name}_ta: array<array<vec4<f32>, ${kt}>, ${ty}>;
var<workgroup> ${name}_tb: array<array<vec4<f32>, ${tx}>, ${kt}>;

@compute @workgroup_size(${tx}, ${ty})
fn ${name}(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  // Invocation (x, y) owns rows r0 .. r0 + 3 and columns c0 .. c0 + 3 of C.
  let r0 = wid.y * ${4 * ty}u + 4u * lid.y;
  let c0 = wid.x * ${4 * tx}u + 4u * lid.x;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var t = 0u; t < cfg.inner; t = t + ${kt}u) {
    // A tile: ${4 * ty} rows x ${kt} as row quads; B tile: ${kt} x ${4 * tx} as column quads.
    for (var e = li; e < ${ty * kt}u; e = e + ${threads}u) {
      let r = wid.y * ${4 * ty}u + 4u * (e / ${kt}u);
      let i = t + e % ${kt}u;
      ${name}_ta[e / ${kt}u][e % ${kt}u] = vec4<f32>(${quad('load_a', 'r', 'i', 'first')});
    }
    for (var e = li; e < ${kt * tx}u; e = e + ${threads}u) {
      let i = t + e / ${tx}u;
      let c = wid.x * ${4 * tx}u + 4u * (e % ${tx}u);
      ${name}_tb[e / ${tx}u][e % ${tx}u] = vec4<f32>(${quad('load_b', 'i', 'c', 'second')});
    }
    workgroupBarrier();
    for (var k = 0u; k < ${kt}u; k = k + 1u) {
      let a = ${name}_ta[lid.y][k];
      let b = ${name}_tb[k][lid.x];
      acc0 = acc0 + a.x * b;
      acc1 = acc1 + a.y * b;
      acc2 = acc2 + a.z * b;
      acc3 = acc3 + a.w * b;
    }
    workgroupBarrier();
  }
  for (var j = 0u; j < 4u; j = j + 1u) {
    let c = c0 + j;
    if (c < cfg.cols) {${[0, 1, 2, 3].map(storeRow).join('')}
    }
  }
}
`;
}

export const gradientWgsl = /* wgsl */ `
struct PassUniform {
${PASS_FIELDS.map((f) => `  ${f}: u32,`).join('\n')}
}

@group(0) @binding(${GRADIENT_BINDINGS.pass}) var<uniform> cfg: PassUniform;
@group(0) @binding(${GRADIENT_BINDINGS.features}) var<storage, read> features: array<u32>;
@group(0) @binding(${GRADIENT_BINDINGS.labels}) var<storage, read> labels: array<u32>;
@group(0) @binding(${GRADIENT_BINDINGS.work}) var<storage, read_write> work: array<f32>;

var<workgroup> partial_a: array<f32, ${REDUCE_WORKGROUP}>;
var<workgroup> partial_b: array<f32, ${REDUCE_WORKGROUP}>;

fn x_at(e: u32) -> f32 {
  if (cfg.x_uint8 == 1u) {
    return f32((features[e >> 2u] >> ((e & 3u) * 8u)) & 0xffu) / 255.0;
  }
  return bitcast<f32>(features[e]);
}

fn load_a(r: u32, i: u32) -> f32 {
  if (r >= cfg.rows || i >= cfg.inner) {
    return 0.0;
  }
  let e = cfg.a_base + r * cfg.a_row + i * cfg.a_inner;
  if (cfg.a_from_x == 1u) {
    return x_at(e);
  }
  return work[e];
}

fn load_b(i: u32, c: u32) -> f32 {
  if (i >= cfg.inner || c >= cfg.cols) {
    return 0.0;
  }
  return work[cfg.b_base + i * cfg.b_inner + c * cfg.b_col];
}

fn store_c(r: u32, c: u32, value: f32) {
  let at = cfg.c_base + r * cfg.c_row + c;
  switch cfg.epilogue {
    case ${EPILOGUES.bias}u: {
      work[at] = value + work[cfg.aux_base + c];
    }
    case ${EPILOGUES.biasRelu}u: {
      work[at] = max(value + work[cfg.aux_base + c], 0.0);
    }
    case ${EPILOGUES.reluMask}u: {
      work[at] = select(0.0, value, work[cfg.aux_base + r * cfg.c_row + c] > 0.0);
    }
    default: {
      work[at] = value;
    }
  }
}
${matmulEntry('matmul_wide')}
${matmulEntry('matmul_narrow')}

@compute @workgroup_size(${REDUCE_WORKGROUP})
fn softmax_xent(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= cfg.rows) {
    return;
  }
  let k_count = cfg.cols;
  let z = cfg.c_base + n * k_count;
  var best = 0u;
  var m = work[z];
  for (var k = 1u; k < k_count; k = k + 1u) {
    if (work[z + k] > m) {
      m = work[z + k];
      best = k;
    }
  }
  var s = 0.0;
  for (var k = 0u; k < k_count; k = k + 1u) {
    s = s + exp(work[z + k] - m);
  }
  let y = labels[n];
  work[cfg.loss_base + n] = log(s) - (work[z + y] - m);
  work[cfg.hit_base + n] = select(0.0, 1.0, best == y);
  for (var k = 0u; k < k_count; k = k + 1u) {
    work[z + k] = exp(work[z + k] - m) / s - select(0.0, 1.0, k == y);
  }
}

@compute @workgroup_size(${REDUCE_WORKGROUP})
fn column_sum(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let c = wid.x;
  var s = 0.0;
  for (var n = lid; n < cfg.rows; n = n + ${REDUCE_WORKGROUP}u) {
    s = s + work[cfg.a_base + n * cfg.cols + c];
  }
  partial_a[lid] = s;
  workgroupBarrier();
  for (var stride = ${REDUCE_WORKGROUP / 2}u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      partial_a[lid] = partial_a[lid] + partial_a[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    work[cfg.c_base + c] = partial_a[0];
  }
}

@compute @workgroup_size(${REDUCE_WORKGROUP})
fn loss_sum(@builtin(local_invocation_index) lid: u32) {
  var loss = 0.0;
  var hits = 0.0;
  for (var n = lid; n < cfg.rows; n = n + ${REDUCE_WORKGROUP}u) {
    loss = loss + work[cfg.loss_base + n];
    hits = hits + work[cfg.hit_base + n];
  }
  partial_a[lid] = loss;
  partial_b[lid] = hits;
  workgroupBarrier();
  for (var stride = ${REDUCE_WORKGROUP / 2}u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      partial_a[lid] = partial_a[lid] + partial_a[lid + stride];
      partial_b[lid] = partial_b[lid] + partial_b[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    work[cfg.c_base] = partial_a[0];
    work[cfg.c_base + 1u] = partial_b[0];
  }
}
`;

export const GRADIENT_ENTRY_POINTS = [
  'matmul_wide',
  'matmul_narrow',
  'softmax_xent',
  'column_sum',
  'loss_sum',
] as const;
export type GradientEntryPoint = (typeof GRADIENT_ENTRY_POINTS)[number];
