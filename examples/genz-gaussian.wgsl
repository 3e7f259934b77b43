// Genz's "Gaussian" test integrand in 5 dimensions (Genz 1984), over the unit cube:
//   f(x) = exp(-sum_i a_i^2 (x_i - u_i)^2)
// Closed form: prod_i sqrt(pi) / (2 a_i) * (erf(a_i (1 - u_i)) + erf(a_i u_i)) = 0.180917546923624
// Output "integral"; its mean is the integral.
const A = array<f32, 5>(1.0, 1.5, 2.0, 2.5, 3.0);
const U = array<f32, 5>(0.5, 0.3, 0.7, 0.4, 0.6);

fn sample() -> array<f32, 1> {
  var s = 0.0;
  for (var i = 0; i < 5; i++) {
    let d = uniform() - U[i];
    s += A[i] * A[i] * d * d;
  }
  return array<f32, 1>(exp(-s));
}
