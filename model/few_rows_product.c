/* y = x @ W^T (+ bias) for a few rows x, the product of a decode step on the CPU.
 *
 * W is [n_out, n_in], row-major (nn.Linear's layout). A step with a few rows is bound by reading
 * W from memory, so W is read exactly once: each thread owns a contiguous range of outputs, so it
 * streams one contiguous piece of W, and each output is one dot product of a W row with every row
 * of x while that W row is in L1. A dot product keeps 16 partial sums (one vector register) and
 * adds them up in a fixed order at the end, so a row's result does not depend on the batch it is
 * in or on the number of threads.
 *
 * Built by model/products.py with the C compiler at first use; OpenMP is the runtime torch has
 * already loaded.
 */

#define LANES 16

static float dot(const float *a, const float *w, long n) {
  float lanes[LANES] = {0};
  long i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++) lanes[l] += a[i + l] * w[i + l];
  for (int l = 0; i + l < n; l++) lanes[l] += a[i + l] * w[i + l];
  for (int width = LANES / 2; width > 0; width /= 2)  /* pairwise: a fixed order */
    for (int l = 0; l < width; l++) lanes[l] += lanes[l + width];
  return lanes[0];
}

void few_rows_product(const float *x, const float *W, const float *bias, float *y,
                      long n_rows, long n_in, long n_out, int n_threads) {
  #pragma omp parallel for schedule(static) num_threads(n_threads)
  for (long o = 0; o < n_out; o++) {
    const float *w = W + o * n_in;
    for (long m = 0; m < n_rows; m++)
      y[m * n_out + o] = dot(x + m * n_in, w, n_in) + (bias ? bias[o] : 0.0f);
  }
}
