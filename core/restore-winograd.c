/* gimp-restore: Winograd F(2x2, 3x3) convolution transforms (see
 * restore-winograd.h), used by restore-ops.c for 3x3 stride-1 layers.
 */
#include "config.h"

#include <string.h>

#include "restore-winograd.h"

/* Plain loops along rows; let GCC vectorise them at -O2 too. */
#if defined (__GNUC__) && ! defined (__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif

/* Winograd F(2x2, 3x3) for 3x3 stride-1 undilated convolutions (Lavin and
 * Gray's minimal filtering): each 2x2 block of output pixels ("tile") is
 *   Y = A^T [ (G g G^T) .* (B^T d B) ] A
 * over the 4x4 input patch d around it, with
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1].
 * Summed over input channels, the 16 elementwise products become 16
 * matrix products U_xi [c_out, c_in] x V_xi [c_in, tiles], 4 multiply-adds
 * per output pixel and input channel instead of 9. */
/* u [16][c_out][c_in] = G g G^T for every (c_out, c_in) 3x3 kernel g. */
void
restore_wino_weights (const float *weight,
              int          c_out,
              int          c_in,
              float       *u)
{
  gsize plane = (gsize) c_out * c_in;

  for (gsize i = 0; i < plane; i++)
    {
      const float *g = weight + 9 * i;
      float        p[4][3], r[4][4];

      for (int x = 0; x < 3; x++)
        {
          p[0][x] = g[x];
          p[1][x] = 0.5f * (g[x] + g[3 + x] + g[6 + x]);
          p[2][x] = 0.5f * (g[x] - g[3 + x] + g[6 + x]);
          p[3][x] = g[6 + x];
        }
      for (int y = 0; y < 4; y++)
        {
          r[y][0] = p[y][0];
          r[y][1] = 0.5f * (p[y][0] + p[y][1] + p[y][2]);
          r[y][2] = 0.5f * (p[y][0] - p[y][1] + p[y][2]);
          r[y][3] = p[y][2];
        }
      for (int k = 0; k < WINO_POINTS; k++)
        u[k * plane + i] = r[k / 4][k % 4];
    }
}

/* Scratch floats of restore_wino_input() and restore_wino_output() besides v and m. */
gsize
restore_wino_pad_floats (int tiles_x)
{
  return (gsize) 16 * (tiles_x + 1);
}

/* The vector loops of the transforms, with restrict parameters so the
 * compiler needs no aliasing checks. */
static void
wino_bt (const float *restrict a,
         const float *restrict b,
         const float *restrict e,
         const float *restrict f,
         float       *restrict t0,
         float       *restrict t1,
         float       *restrict t2,
         float       *restrict t3,
         int                   n)
{
  for (int t = 0; t < n; t++)
    {
      t0[t] = a[t] - e[t];
      t1[t] = b[t] + e[t];
      t2[t] = e[t] - b[t];
      t3[t] = b[t] - f[t];
    }
}

static void
wino_b (const float *restrict e,
        const float *restrict o,
        float       *restrict v0,
        float       *restrict v1,
        float       *restrict v2,
        float       *restrict v3,
        int                   n)
{
  for (int t = 0; t < n; t++)
    {
      v0[t] = e[t] - e[t + 1];
      v1[t] = o[t] + e[t + 1];
      v2[t] = e[t + 1] - o[t];
      v3[t] = o[t] - o[t + 1];
    }
}

static void
wino_at (const float *restrict m0,
         const float *restrict m1,
         const float *restrict m2,
         const float *restrict m3,
         float       *restrict s0,
         float       *restrict s1,
         int                   n)
{
  for (int t = 0; t < n; t++)
    {
      s0[t] = m0[t] + m1[t] + m2[t];
      s1[t] = m1[t] - m2[t] - m3[t];
    }
}

static void
wino_a (const float *restrict s0,
        const float *restrict s1,
        const float *restrict s2,
        const float *restrict s3,
        float                 b,
        float       *restrict y0,
        float       *restrict y1,
        int                   n)
{
  for (int t = 0; t < n; t++)
    {
      y0[t] = s0[t] + s1[t] + s2[t] + b;
      y1[t] = s1[t] - s2[t] - s3[t] + b;
    }
}

/* out[2 t] = a[t], out[2 t + 1] = b[t] for 2 t + 1 < width, and the
 * last column from a when width is odd. */
static void
wino_interleave (const float *restrict a,
                 const float *restrict b,
                 float       *restrict out,
                 int                   width)
{
  int full = width / 2;

  for (int t = 0; t < full; t++)
    {
      out[2 * t] = a[t];
      out[2 * t + 1] = b[t];
    }
  if (width % 2)
    out[width - 1] = a[full];
}

/* v [16][c_in][nt] = B^T d B for the tiles of output rows y0..y1-1 (y0
 * even), nt = ceil ((y1 - y0) / 2) * tiles_x.  The loops run along a row
 * of tiles with even and odd input columns apart, so they vectorise:
 * tile tx reads input columns 2 tx - 1 .. 2 tx + 2, i.e. ev[tx], od[tx],
 * ev[tx + 1], od[tx + 1] with ev[t] = column 2 t - 1, od[t] = column 2 t. */
void
restore_wino_input (const float *input,
            int          c_in,
            int          height,
            int          width,
            int          y0,
            int          y1,
            int          tiles_x,
            gsize        nt,
            float       *v,
            float       *pad)
{
  int    rows = (y1 - y0 + 1) / 2;
  int    n = tiles_x + 1;
  gsize  step = (gsize) c_in * nt;
  float *ev[4], *od[4];

  for (int i = 0; i < 4; i++)
    {
      ev[i] = pad + (gsize) (2 * i) * n;
      od[i] = pad + (gsize) (2 * i + 1) * n;
    }
  for (int c = 0; c < c_in; c++)
    {
      const float *plane = input + (gsize) c * height * width;

      for (int ty = 0; ty < rows; ty++)
        {
          float *d[4][2];

          /* the 4 input rows, split into even and odd columns */
          for (int i = 0; i < 4; i++)
            {
              int          iy = y0 + 2 * ty - 1 + i;
              const float *src = iy >= 0 && iy < height ? plane + (gsize) iy * width : NULL;
              float       *e = pad + (gsize) (8 + 2 * i) * n;
              float       *o = e + n;

              if (src == NULL)
                {
                  memset (e, 0, sizeof (float) * 2 * n);
                }
              else
                {
                  int ne = MIN (n - 1, width / 2);         /* 2 t - 1 < width */
                  int no = MIN (n, (width + 1) / 2);       /* 2 t < width */

                  /* zero only the padding around the copied columns */
                  e[0] = 0.0f;
                  for (int t = 1; t <= ne; t++)
                    e[t] = src[2 * t - 1];
                  for (int t = ne + 1; t < n; t++)
                    e[t] = 0.0f;
                  for (int t = 0; t < no; t++)
                    o[t] = src[2 * t];
                  for (int t = no; t < n; t++)
                    o[t] = 0.0f;
                }
              d[i][0] = e;
              d[i][1] = o;
            }
          /* T = B^T d down the columns, then V = T B along the rows */
          wino_bt (d[0][0], d[1][0], d[2][0], d[3][0], ev[0], ev[1], ev[2], ev[3], n);
          wino_bt (d[0][1], d[1][1], d[2][1], d[3][1], od[0], od[1], od[2], od[3], n);
          for (int i = 0; i < 4; i++)
            {
              float *v0 = v + (gsize) (4 * i) * step + (gsize) c * nt
                          + (gsize) ty * tiles_x;

              wino_b (ev[i], od[i], v0, v0 + step, v0 + 2 * step, v0 + 3 * step,
                      tiles_x);
            }
        }
    }
}

/* output rows y0..y1-1 of [c_out, height, width] = A^T m A + bias, act,
 * from m [16][c_out][nt]; @pad as for restore_wino_input(). */
void
restore_wino_output (const float       *m,
             int                c_out,
             int                height,
             int                width,
             int                y0,
             int                y1,
             int                tiles_x,
             gsize              nt,
             const float       *bias,
             RestoreActivation  act,
             float             *output,
             float             *pad)
{
  gsize step = (gsize) c_out * nt;
  int   rows = (y1 - y0 + 1) / 2;
  int   n = tiles_x + 1;
  float *q[4], *sr[2][4];

  for (int i = 0; i < 4; i++)
    {
      q[i] = pad + (gsize) i * n;
      sr[0][i] = pad + (gsize) (4 + i) * n;
      sr[1][i] = pad + (gsize) (8 + i) * n;
    }
  for (int co = 0; co < c_out; co++)
    {
      float b = bias ? bias[co] : 0.0f;

      for (int ty = 0; ty < rows; ty++)
        {
          const float *mt = m + (gsize) co * nt + (gsize) ty * tiles_x;
          int          y = y0 + 2 * ty;

          /* S = A^T m down the columns, then Y = S A along the rows:
           * q[2 a + c] [tx] = output (y + a, 2 tx + c) */
          for (int j = 0; j < 4; j++)
            wino_at (mt + (gsize) j * step, mt + (gsize) (4 + j) * step,
                     mt + (gsize) (8 + j) * step, mt + (gsize) (12 + j) * step,
                     sr[0][j], sr[1][j], tiles_x);
          for (int a = 0; a < 2; a++)
            wino_a (sr[a][0], sr[a][1], sr[a][2], sr[a][3], b, q[2 * a],
                    q[2 * a + 1], tiles_x);
          restore_ops_activate (pad, (gsize) 4 * n, act);
          for (int a = 0; a < 2 && y + a < y1; a++)
            wino_interleave (q[2 * a], q[2 * a + 1],
                             output + ((gsize) co * height + y + a) * width, width);
        }
    }
}
