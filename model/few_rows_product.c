/* y = x @ W (+ bias) for a few rows x, the product of a decode step on the CPU.
 *
 * W is [n_in, n_out], row-major (GPT-2's Conv1D layout). A step with a few rows is bound by
 * reading W from memory, so W is read exactly once: each thread owns a range of output columns
 * and streams 8 rows of W at a time through it, updating every row of y while those 8 rows are
 * in cache. Each output is summed in the same order whatever the number of rows or threads, so a
 * row's result does not depend on the batch it is in.
 *
 * Built by model/products.py with the C compiler at first use; OpenMP is the runtime torch has
 * already loaded.
 */
#include <omp.h>
#include <string.h>

void few_rows_product(const float *x, const float *W, const float *bias, float *y,
                      long n_rows, long n_in, long n_out, int n_threads) {
  #pragma omp parallel num_threads(n_threads)
  {
    long teams = omp_get_num_threads(), me = omp_get_thread_num();
    long share = ((n_out + teams - 1) / teams + 15) / 16 * 16;  /* whole 64-byte lines per thread */
    long c0 = me * share, c1 = c0 + share < n_out ? c0 + share : n_out;
    long width = c1 - c0;
    if (width > 0) {
      for (long m = 0; m < n_rows; m++) {
        if (bias) memcpy(y + m * n_out + c0, bias + c0, width * sizeof(float));
        else memset(y + m * n_out + c0, 0, width * sizeof(float));
      }
      long i = 0;
      for (; i + 8 <= n_in; i += 8) {
        const float *w0 = W + i * n_out + c0, *w1 = w0 + n_out, *w2 = w1 + n_out, *w3 = w2 + n_out;
        const float *w4 = w3 + n_out, *w5 = w4 + n_out, *w6 = w5 + n_out, *w7 = w6 + n_out;
        for (long m = 0; m < n_rows; m++) {
          const float *a = x + m * n_in + i;
          const float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
          float *out = y + m * n_out + c0;
          #pragma omp simd
          for (long c = 0; c < width; c++)
            out[c] += a0 * w0[c] + a1 * w1[c] + a2 * w2[c] + a3 * w3[c]
                    + a4 * w4[c] + a5 * w5[c] + a6 * w6[c] + a7 * w7[c];
        }
      }
      for (; i < n_in; i++) {
        const float *w0 = W + i * n_out + c0;
        for (long m = 0; m < n_rows; m++) {
          const float a = x[m * n_in + i];
          float *out = y + m * n_out + c0;
          #pragma omp simd
          for (long c = 0; c < width; c++) out[c] += a * w0[c];
        }
      }
    }
  }
}
