// Asian calls by path simulation: spot 100, strike 100, rate 5%, volatility 20%, 1 year,
// 16 equally spaced monitoring dates, geometric Brownian motion stepped exactly in log space.
// Outputs: "arithmetic", the discounted payoff of the arithmetic-average call (no closed
// form: examples/README.md gives a long-run reference), and "geometric", the geometric-average
// call, whose closed form (Kemna & Vorst, discrete monitoring) checks the whole pipeline.
const SPOT: f32 = 100.0;
const STRIKE: f32 = 100.0;
const STEPS: i32 = 16;
// (rate - volatility^2 / 2) dt and volatility sqrt(dt), dt = 1/16.
const DRIFT: f32 = 0.001875;
const VOL_STEP: f32 = 0.05;
// exp(-rate * maturity)
const DISCOUNT: f32 = 0.951229424500714;
const PI: f32 = 3.141592653589793;

// Two independent standard normals by Box-Muller. 1 - uniform() lies in (0, 1], so the log is
// finite; the angle stays in [-pi, pi), where WGSL bounds the error of sin and cos.
fn normal_pair() -> vec2<f32> {
  let r = sqrt(-2.0 * log(1.0 - uniform()));
  let angle = PI * (2.0 * uniform() - 1.0);
  return r * vec2<f32>(cos(angle), sin(angle));
}

fn sample() -> array<f32, 2> {
  var log_s = log(SPOT);
  var sum = 0.0;
  var log_sum = 0.0;
  for (var i = 0; i < STEPS; i += 2) {
    let z = normal_pair();
    log_s += DRIFT + VOL_STEP * z.x;
    sum += exp(log_s);
    log_sum += log_s;
    log_s += DRIFT + VOL_STEP * z.y;
    sum += exp(log_s);
    log_sum += log_s;
  }
  let arithmetic = max(sum / f32(STEPS) - STRIKE, 0.0);
  let geometric = max(exp(log_sum / f32(STEPS)) - STRIKE, 0.0);
  return array<f32, 2>(DISCOUNT * arithmetic, DISCOUNT * geometric);
}
