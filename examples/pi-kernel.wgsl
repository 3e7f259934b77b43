// pi as a researcher's kernel: 4 times the chance that a uniform point of the unit square
// lands inside the quarter circle. Output "pi"; its mean is pi.
fn sample() -> array<f32, 1> {
  let x = uniform();
  let y = uniform();
  return array<f32, 1>(select(0.0, 4.0, x * x + y * y < 1.0));
}
