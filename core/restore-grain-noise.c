/* gimp-restore: the grain step's noise model (restore-grain.h): the
 * grain's size from the high-pass's lag-1 autocorrelation, the block
 * statistics of noise of that size, and the quantiles they use.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-grain-private.h"

/* The @q quantile (0..1) of @v[0..n-1] (reordered), by selection. */
float
grain_quantile (float *v,
                int    n,
                double q)
{
  int k = (int) floor (q * (n - 1) + 0.5), lo = 0, hi = n - 1;

  while (lo < hi)
    {
      float p = v[(lo + hi) / 2];
      int   i = lo, j = hi;

      while (i <= j)
        {
          while (v[i] < p)
            i++;
          while (v[j] > p)
            j--;
          if (i <= j)
            {
              float t = v[i];

              v[i++] = v[j];
              v[j--] = t;
            }
        }
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        break;
    }
  return v[k];
}

/* The 1-D Gaussian of sigma @s, normalised to unit energy (the sum of
 * squares), radius ceil (3 s); s = 0 is the identity.  Returns the
 * radius; @k holds 2 * 9 + 1 taps. */
int
grain_size_kernel (double s,
                   float *k)
{
  int    r = s > 0.0 ? (int) ceil (3.0 * s) : 0;
  double e = 0.0;

  r = MIN (r, (int) ceil (3.0 * SIZE_MAX_S));
  for (int i = -r; i <= r; i++)
    {
      double v = r == 0 ? 1.0 : exp (-0.5 * i * i / (s * s));

      k[i + r] = (float) v;
      e += v * v;
    }
  for (int i = 0; i <= 2 * r; i++)
    k[i] = (float) (k[i] / sqrt (e));
  return r;
}

/* For noise of size @s (unit variance): *@var, the variance of its
 * high-pass, and *@rho1, the high-pass's lag-1 autocorrelation.  With a
 * the unit-energy kernel of @s and b = G * a (both 1-D, separable), the
 * 2-D high-pass kernel is a (x) a - b (x) b, whose sums of squares and of
 * lag-1 products are products of 1-D inner products. */
void
grain_size_response (const Grain *gr,
                     double       s,
                     double      *var,
                     double      *rho1)
{
  enum { R = 9 + HP_RADIUS + 1, L = 2 * R + 1 };
  float  k[2 * 9 + 1];
  double a[L], b[L];
  int    r = grain_size_kernel (s, k);
  double aa = 0, ab = 0, bb = 0, a1 = 0, b1 = 0, ab1 = 0, ba1 = 0;

  memset (a, 0, sizeof a);
  memset (b, 0, sizeof b);
  for (int i = -r; i <= r; i++)
    a[R + i] = k[i + r];
  for (int i = 0; i < L; i++)
    for (int t = -HP_RADIUS; t <= HP_RADIUS; t++)
      if (i - t >= 0 && i - t < L)
        b[i] += gr->g[t + HP_RADIUS] * a[i - t];
  for (int i = 0; i < L; i++)
    {
      aa += a[i] * a[i];
      ab += a[i] * b[i];
      bb += b[i] * b[i];
      if (i + 1 < L)
        {
          a1 += a[i] * a[i + 1];
          b1 += b[i] * b[i + 1];
          ab1 += a[i] * b[i + 1];
          ba1 += b[i] * a[i + 1];
        }
    }
  *var = aa * aa - 2.0 * ab * ab + bb * bb;
  *rho1 = (a1 * aa - ab1 * ab - ba1 * ab + b1 * bb) / *var;
}

/* The grain size whose high-pass has the lag-1 autocorrelation @rho1
 * (linear between the sizes of a table; clamped to its ends). */
double
grain_size_from_rho (const Grain *gr,
                     double       rho1)
{
  static const double sizes[] = { 0.0, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0 };
  double              prev_r = 0.0, var;

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      double r;

      grain_size_response (gr, sizes[i], &var, &r);
      if (rho1 <= r)
        return i == 0 || r <= prev_r ? sizes[i]
                                     : sizes[i - 1] + (sizes[i] - sizes[i - 1])
                                                      * (rho1 - prev_r) / (r - prev_r);
      prev_r = r;
    }
  return SIZE_MAX_S;
}

/* What the block statistics read from noise of the size of @kern (radius
 * @rk) whose high-pass has the variance @hvar: *@q_ratio, the FLOOR_Q
 * quantile of the 8 x 8 blocks' variances over @hvar, and *@med_ratio,
 * their median over it.  Coarser grain has fewer independent values per
 * block, so its block variances spread wider and these fall; measured on
 * 576 blocks of hashed noise (the same every time). */
void
grain_calibrate (const Grain *gr,
                 const float *kern,
                 int          rk,
                 double       hvar,
                 double      *q_ratio,
                 double      *med_ratio)
{
  enum { S = 24 * BLOCK };
  int    m = rk + HP_RADIUS, side = S + 2 * m, inner = S + 2 * HP_RADIUS;
  float *u = g_new (float, (gsize) side * side);
  float *t = g_new (float, (gsize) side * side);
  float *n = g_new (float, (gsize) inner * inner);
  float *b = g_new (float, (gsize) S * S);
  float  vars[(S / BLOCK) * (S / BLOCK)];

  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++)
      u[(gsize) y * side + x] = grain_unit (x, y, 0, 0x5bd1e995u);
  /* the grain's size: across, then down, to the inner square */
  for (int y = 0; y < side; y++)
    for (int x = 0; x < inner; x++)
      {
        float sum = 0.0f;

        for (int k = 0; k <= 2 * rk; k++)
          sum += kern[k] * u[(gsize) y * side + x + k];
        t[(gsize) y * side + x] = sum;
      }
  for (int y = 0; y < inner; y++)
    for (int x = 0; x < inner; x++)
      {
        float sum = 0.0f;

        for (int k = 0; k <= 2 * rk; k++)
          sum += kern[k] * t[(gsize) (y + k) * side + x];
        n[(gsize) y * inner + x] = sum;
      }
  /* its Gaussian blur, then the blocks of the high-pass */
  for (int y = 0; y < inner; y++)
    for (int x = 0; x < S; x++)
      {
        float sum = 0.0f;

        for (int k = 0; k <= 2 * HP_RADIUS; k++)
          sum += gr->g[k] * n[(gsize) y * inner + x + k];
        t[(gsize) y * S + x] = sum;
      }
  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++)
      {
        float sum = 0.0f;

        for (int k = 0; k <= 2 * HP_RADIUS; k++)
          sum += gr->g[k] * t[(gsize) (y + k) * S + x];
        b[(gsize) y * S + x] = n[(gsize) (y + HP_RADIUS) * inner + x + HP_RADIUS] - sum;
      }
  for (int by = 0; by < S / BLOCK; by++)
    for (int bx = 0; bx < S / BLOCK; bx++)
      {
        double s1 = 0.0, s2 = 0.0;

        for (int y = 0; y < BLOCK; y++)
          for (int x = 0; x < BLOCK; x++)
            {
              double h = b[(gsize) (by * BLOCK + y) * S + bx * BLOCK + x];

              s1 += h;
              s2 += h * h;
            }
        s1 /= BLOCK * BLOCK;
        vars[by * (S / BLOCK) + bx] = (float) (s2 / (BLOCK * BLOCK) - s1 * s1);
      }
  *q_ratio = grain_quantile (vars, G_N_ELEMENTS (vars), FLOOR_Q) / hvar;
  *med_ratio = grain_quantile (vars, G_N_ELEMENTS (vars), 0.5) / hvar;
  g_free (u);
  g_free (t);
  g_free (n);
  g_free (b);
}
