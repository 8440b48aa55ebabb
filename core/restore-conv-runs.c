/* gimp-restore: convolutions of a set of output pixels given as runs of
 * rows (restore_ops_conv2d_runs(), the sparse decoder's layers).
 *
 * The runs are cut into chunks of a fixed number of pixels (the bands of
 * this method), each chunk gathered into col [K, chunk] from the pixels'
 * own 3x3 neighbourhoods (im2col over the pieces of runs, 8 floats at a
 * time away from the borders), one product, bias and activation, then
 * copied to its pixels; on an upsampled input the 3x3 kernel folds into
 * four 2x2 ones (fold_weights).  No Winograd here: it mixes the pixels of
 * a 2x2 block, so a stale value next to a needed pixel would reach it.
 */
#include "config.h"

#include <string.h>
#include <cblas.h>

#include "restore-ops-private.h"

/* The gathers are plain loops along rows; let GCC vectorise them at -O2. */
#if defined (__GNUC__) && ! defined (__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif

/* A piece of a run inside one chunk of restore_ops_conv2d_runs(): pixels
 * (y, x) .. (y, x + len - 1), columns j .. j + len - 1 of the chunk; edge
 * when the kernel reaches past the plane there, or the fast copy below
 * could read past it. */
typedef struct
{
  int j, len, y, x, edge;
} RunSeg;

/* floats a fast copy may write past the end of col (run_copy) */
#define RUNS_SLACK 8

/* Copies @len floats in blocks of 8, so it reads and writes up to 7 more:
 * within a row of col the next piece (or row) overwrites them later. */
static inline void
run_copy (float       *dst,
          const float *src,
          int          len)
{
  for (int t = 0; t < len; t += 8)
    memcpy (dst + t, src + t, 8 * sizeof (float));
}

/* dst[t] = src[(x + t) / 2] for t < @len, x >= 0: pairs of equal values */
static inline void
run_copy_up (float       *restrict dst,
             const float *restrict src,
             int                   x,
             int                   len)
{
  int t = 0, pairs;

  if (len > 0 && (x & 1))
    {
      dst[0] = src[x >> 1];
      t = 1;
    }
  src += (x + t) >> 1;
  dst += t;
  pairs = (len - t) / 2;
  for (int i = 0; i < pairs; i++)
    {
      dst[2 * i] = src[i];
      dst[2 * i + 1] = src[i];
    }
  if ((len - t) & 1)
    dst[2 * pairs] = src[pairs];
}

/* The pieces of the @n pixels of the runs from pixel @offset of run @run
 * on; returns how many. */
static int
run_segs (const RestoreSpan *runs,
          int                run,
          int                offset,
          gsize              n,
          int                height,
          int                width,
          int                kernel,
          RunSeg            *segs)
{
  gsize j = 0;
  int   count = 0;

  while (j < n)
    {
      const RestoreSpan *rr = runs + run;
      RunSeg            *sg = segs + count++;

      sg->j = (int) j;
      sg->y = rr->y;
      sg->x = rr->x0 + offset;
      sg->len = (int) MIN ((gsize) (rr->x1 - sg->x), n - j);
      /* kernel 3: the row below must not be the last (the copy may read
       * 7 floats past it, into the row after); kernel 1: the own row */
      if (width < RUNS_SLACK)
        sg->edge = TRUE;
      else if (kernel == 3)
        sg->edge = sg->y == 0 || sg->y >= height - 2 || sg->x == 0 ||
                   sg->x + sg->len >= width;
      else
        sg->edge = sg->y >= height - 1;
      j += sg->len;
      run++;
      offset = 0;
    }
  return count;
}

/* col [c_in * kernel^2, n]: the input patches of the pixels of @segs,
 * input [c_in, height >> up, width >> up] read as its 2^up
 * nearest-neighbour upsampling, zero outside the height x width plane.
 * Writes up to RUNS_SLACK floats past col [k, n] (the next row, or the
 * slack after the last). */
static void
im2col_runs (const float  *input,
             int           c_in,
             int           height,
             int           width,
             int           up,
             int           kernel,
             const RunSeg *segs,
             int           n_segs,
             gsize         n,
             float        *col)
{
  int   pad = (kernel - 1) / 2;
  int   w_in = width >> up;
  gsize plane = (gsize) (height >> up) * w_in;

  for (int c = 0; c < c_in; c++)
    for (int ky = 0; ky < kernel; ky++)
      for (int kx = 0; kx < kernel; kx++)
        {
          const float *src_c = input + (gsize) c * plane;
          float       *row = col + (((gsize) c * kernel + ky) * kernel + kx) * n;
          int          dy = ky - pad, dx = kx - pad;

          for (int s = 0; s < n_segs; s++)
            {
              const RunSeg *sg = segs + s;
              float        *dst = row + sg->j;
              int           iy = sg->y + dy;

              if (! sg->edge && up == 0)
                {
                  run_copy (dst, src_c + (gsize) iy * w_in + sg->x + dx,
                            sg->len);
                }
              else if (! sg->edge)
                {
                  run_copy_up (dst, src_c + (gsize) (iy >> 1) * w_in,
                               sg->x + dx, sg->len);
                }
              else if (iy < 0 || iy >= height)
                {
                  memset (dst, 0, (gsize) sg->len * sizeof (float));
                }
              else
                {
                  const float *src = src_c + (gsize) (iy >> up) * w_in;
                  int          xa = sg->x, len = sg->len;
                  /* columns whose input column lies inside [0, width) */
                  int          a = MAX (0, -dx - xa);
                  int          b = MIN (len, width - dx - xa);

                  b = MAX (a, b);
                  if (a > 0)
                    memset (dst, 0, (gsize) a * sizeof (float));
                  for (int t = a; t < b; t++)
                    dst[t] = src[(xa + dx + t) >> up];
                  if (b < len)
                    memset (dst + b, 0, (gsize) (len - b) * sizeof (float));
                }
            }
        }
}

/* Floats of one worker's share of scratch for chunks of @p pixels: col,
 * the slack, the product and the pieces (twice: conv_runs_chunk_up). */
static gsize
runs_share_floats (int k,
                   int m,
                   int p)
{
  G_STATIC_ASSERT (sizeof (RunSeg) % sizeof (float) == 0);
  return ((gsize) k + m) * p + RUNS_SLACK +
         2 * (gsize) p * (sizeof (RunSeg) / sizeof (float));
}

/* A 3x3 convolution of the nearest-neighbour 2x upsampling of a coarse
 * input reads, for output pixel (y, x), upsampled rows y - 1 .. y + 1,
 * i.e. coarse rows r = (y - 1) >> 1 and r + 1: upsampled row y - 1 is
 * coarse row r, and so is row y when y is odd, else row y lies in r + 1
 * like row y + 1.  Likewise for columns.  So per parity (y & 1, x & 1)
 * the layer is a 2x2 convolution of the coarse input with the kernel rows
 * (and columns) folded: { w0, w1 + w2 } for even, { w0 + w1, w2 } for odd;
 * 4 instead of 9 multiply-adds per input channel (as many as Winograd
 * does), the same zero padding (the upsampled plane's border is the
 * coarse one's, the sizes being even).  Fills u [4][m][c_in][2][2], the
 * folded kernels of parities 0 (even y, even x), 1 (even, odd), 2, 3. */
static void
fold_weights (const float *weight,
              int          m,
              int          c_in,
              float       *u)
{
  gsize n = (gsize) m * c_in;

  for (int parity = 0; parity < 4; parity++)
    {
      int   py = parity >> 1, px = parity & 1;
      float *dst = u + (gsize) parity * n * 4;

      for (gsize i = 0; i < n; i++)
        {
          const float *g = weight + 9 * i;
          float        r[2][3];

          /* rows folded */
          for (int kx = 0; kx < 3; kx++)
            {
              r[0][kx] = py ? g[kx] + g[3 + kx] : g[kx];
              r[1][kx] = py ? g[6 + kx] : g[3 + kx] + g[6 + kx];
            }
          /* then columns */
          for (int a = 0; a < 2; a++)
            {
              dst[4 * i + 2 * a] = px ? r[a][0] + r[a][1] : r[a][0];
              dst[4 * i + 2 * a + 1] = px ? r[a][2] : r[a][1] + r[a][2];
            }
        }
    }
}

/* Bias and activation of a CONV_RUNS product prod [groups * c_out, n];
 * a gated layer ends with its c_out gated values in the first rows. */
static void
runs_bias_activate (const ConvJob *job,
                    float         *prod,
                    gsize          n)
{
  int m = job->groups * job->c_out;

  if (job->groups == 2)
    {
      restore_ops_bias_activate (prod, n, job->bias, m, n, RESTORE_ACT_NONE);
      restore_ops_gate (prod, job->c_out, n, job->act, prod);
    }
  else
    {
      restore_ops_bias_activate (prod, n, job->bias, m, n, job->act);
    }
}

/* One chunk of a CONV_RUNS job with up = 1 and kernel 3: its pixels split
 * by parity, each class gathered from the coarse input (2x2 patches: the
 * pixels x, x + 2, ... of a piece read consecutive coarse columns) and
 * multiplied by its folded kernel (fold_weights), then copied to every
 * other pixel of the output. */
static void
conv_runs_chunk_up (const ConvJob *job,
                    const RunSeg  *segs,
                    int            n_segs,
                    float         *col,
                    float         *prod,
                    RunSeg        *cls)
{
  int   hc = job->height / 2, wc = job->width / 2;
  int   k = 4 * job->c_in, m = job->groups * job->c_out;
  gsize plane_in = (gsize) hc * wc;
  gsize plane = (gsize) job->h_out * job->w_out;

  for (int parity = 0; parity < 4; parity++)
    {
      int   py = parity >> 1, px = parity & 1;
      int   n_cls = 0;
      gsize n = 0;

      /* the pieces of this class: x = first, first + 2, ... (len of them),
       * reading coarse columns x0 .. x0 + len from row y0 and y0 + 1 */
      for (int sgi = 0; sgi < n_segs; sgi++)
        {
          const RunSeg *sg = segs + sgi;
          int           first = sg->x + ((px - sg->x) & 1);
          RunSeg       *c;
          int           r0, c0;

          if ((sg->y & 1) != py || first >= sg->x + sg->len)
            continue;
          c = cls + n_cls++;
          c->j = (int) n;
          c->len = (sg->x + sg->len - first + 1) / 2;
          c->y = sg->y;
          c->x = first;
          r0 = (sg->y - 1) >> 1;
          c0 = (first - 1) >> 1;
          /* the fast copy reads up to 7 floats past row r0 + 1 */
          c->edge = r0 < 0 || r0 + 1 >= hc - 1 || c0 < 0 ||
                    c0 + c->len >= wc || wc < RUNS_SLACK;
          n += c->len;
        }
      if (n == 0)
        continue;

      /* col [(c, dy, dx), n] */
      for (int ch = 0; ch < job->c_in; ch++)
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++)
            {
              const float *src_c = job->input + (gsize) ch * plane_in;
              float       *row = col + ((gsize) (ch * 2 + dy) * 2 + dx) * n;

              for (int ci = 0; ci < n_cls; ci++)
                {
                  const RunSeg *c = cls + ci;
                  int           r = ((c->y - 1) >> 1) + dy;
                  int           c0 = ((c->x - 1) >> 1) + dx;
                  float        *dst = row + c->j;

                  if (! c->edge)
                    {
                      run_copy (dst, src_c + (gsize) r * wc + c0, c->len);
                    }
                  else if (r < 0 || r >= hc)
                    {
                      memset (dst, 0, (gsize) c->len * sizeof (float));
                    }
                  else
                    {
                      const float *src = src_c + (gsize) r * wc;

                      for (int t = 0; t < c->len; t++)
                        dst[t] = c0 + t >= 0 && c0 + t < wc ? src[c0 + t] : 0.0f;
                    }
                }
            }
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, (int) n, k,
                   1.0f, job->weight + (gsize) parity * m * k, k, col,
                   (int) n, 0.0f, prod, (int) n);
      runs_bias_activate (job, prod, n);
      for (int ch = 0; ch < job->c_out; ch++)
        for (int ci = 0; ci < n_cls; ci++)
          {
            const float *src = prod + ch * n + cls[ci].j;
            float       *dst = job->output + ch * plane
                               + (gsize) cls[ci].y * job->w_out + cls[ci].x;

            for (int t = 0; t < cls[ci].len; t++)
              dst[2 * t] = src[t];
          }
    }
}

/* One chunk of a CONV_RUNS job: gather, one product, bias and activation
 * (or the gate), then the values go to their pixels of the output. */
void
restore_ops_runs_chunk (const ConvJob *job,
                 int            chunk,
                 float         *col)
{
  gsize   p0 = (gsize) chunk * job->rows;
  gsize   n = MIN (p0 + job->rows, job->pixels) - p0;
  int     k = job->c_in * job->kernel * job->kernel;
  int     m = job->groups * job->c_out;
  float  *prod = col + (gsize) k * job->rows + RUNS_SLACK;
  RunSeg *segs = (RunSeg *) (prod + (gsize) m * job->rows);
  gsize   plane = (gsize) job->h_out * job->w_out;
  int     n_segs;

  n_segs = run_segs (job->runs, job->chunk_run[chunk],
                     job->chunk_offset[chunk], n, job->height, job->width,
                     job->kernel, segs);
  if (job->up && job->kernel == 3)
    {
      conv_runs_chunk_up (job, segs, n_segs, col, prod,
                          segs + job->rows);
      return;
    }
  im2col_runs (job->input, job->c_in, job->height, job->width, job->up,
               job->kernel, segs, n_segs, n, col);
  /* prod [m, n] = weight [m, k] x col [k, n]: column j of prod is computed
   * from column j of col alone */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, (int) n, k,
               1.0f, job->weight, k, col, (int) n, 0.0f, prod, (int) n);
  runs_bias_activate (job, prod, n);
  for (int c = 0; c < job->c_out; c++)
    for (int s = 0; s < n_segs; s++)
      memcpy (job->output + c * plane + (gsize) segs[s].y * job->w_out
              + segs[s].x, prod + c * n + segs[s].j,
              (gsize) segs[s].len * sizeof (float));
}

/* Pixels per chunk of restore_ops_conv2d_runs(): the gathered matrix
 * and the product within BAND_FLOATS, at least RUNS_CHUNK_MIN, a multiple
 * of 16, and no more than the plane has; depends on the shape only, so
 * the chunks (and the results) do not depend on the threads. */
#define RUNS_CHUNK_MIN 64
#define RUNS_CHUNK_MAX 4096

static int
runs_chunk_pixels (int c_in,
                   int kernel,
                   int c_out,
                   int height,
                   int width)
{
  gsize per_pixel = (gsize) c_in * kernel * kernel + c_out;
  gsize p = BAND_FLOATS / per_pixel / 16 * 16;

  p = CLAMP (p, RUNS_CHUNK_MIN, RUNS_CHUNK_MAX);
  return (int) MIN (p, (gsize) height * width);
}

/**
 * restore_ops_conv2d_runs_col_floats:
 * See restore-ops.h: a share per thread, for at most COL_SLOTS threads.
 */
gsize
restore_ops_conv2d_runs_col_floats (int c_in,
                                    int kernel,
                                    int c_out,
                                    int height,
                                    int width)
{
  int   p = runs_chunk_pixels (c_in, kernel, c_out, height, width);
  gsize chunks = ((gsize) height * width + p - 1) / p;

  return runs_share_floats (c_in * kernel * kernel, c_out, p) *
         MIN (chunks, (gsize) COL_SLOTS);
}

/**
 * restore_ops_conv2d_runs:
 * See restore-ops.h.
 */
void
restore_ops_conv2d_runs (RestoreContext    *ctx,
                         const float       *input,
                         int                c_in,
                         int                height,
                         int                width,
                         int                up,
                         const float       *weight,
                         const float       *bias,
                         int                c_out,
                         int                groups,
                         int                kernel,
                         RestoreActivation  act,
                         const RestoreSpan *runs,
                         int                n_runs,
                         float             *output,
                         float             *col)
{
  gint64  t0 = g_get_monotonic_time ();
  ConvJob job;
  int    *chunk_run, *chunk_offset;
  gsize   pixels = 0, pos = 0;
  int     k = c_in * kernel * kernel;

  g_return_if_fail (ctx != NULL && input != NULL && weight != NULL &&
                    output != NULL && col != NULL && (runs != NULL || n_runs == 0));
  g_return_if_fail (c_in > 0 && c_out > 0 && (groups == 1 || groups == 2) &&
                    (kernel == 1 || kernel == 3) && (up == 0 || up == 1));
  g_return_if_fail (height > 0 && width > 0 &&
                    height % (1 << up) == 0 && width % (1 << up) == 0);

  for (int r = 0; r < n_runs; r++)
    {
      g_return_if_fail (runs[r].y >= 0 && runs[r].y < height &&
                        runs[r].x0 >= 0 && runs[r].x0 < runs[r].x1 &&
                        runs[r].x1 <= width);
      pixels += (gsize) (runs[r].x1 - runs[r].x0);
    }
  if (pixels == 0)
    return;

  memset (&job, 0, sizeof job);
  job.ctx = ctx;
  job.method = CONV_RUNS;
  job.input = input;
  job.c_in = c_in;
  job.height = job.h_out = height;
  job.width = job.w_out = width;
  job.up = up;
  job.weight = weight;
  job.bias = bias;
  job.c_out = c_out;
  job.groups = groups;
  job.kernel = kernel;
  job.stride = job.dilation = 1;
  job.act = act;
  job.output = output;
  job.runs = runs;
  job.pixels = pixels;
  job.rows = runs_chunk_pixels (c_in, kernel, groups * c_out, height, width);
  job.n_bands = (int) ((pixels + job.rows - 1) / job.rows);
  job.share = runs_share_floats (k, groups * c_out, job.rows);
  job.col = col;

  /* where each chunk starts */
  chunk_run = g_new (int, job.n_bands);
  chunk_offset = g_new (int, job.n_bands);
  for (int r = 0, b = 0; r < n_runs; r++)
    {
      gsize len = (gsize) (runs[r].x1 - runs[r].x0);

      while (b < job.n_bands && (gsize) b * job.rows < pos + len)
        {
          chunk_run[b] = r;
          chunk_offset[b] = (int) ((gsize) b * job.rows - pos);
          b++;
        }
      pos += len;
    }
  job.chunk_run = chunk_run;
  job.chunk_offset = chunk_offset;
  if (up && kernel == 3)
    {
      float *u = restore_context_buffer (&ctx->weights,
                                         (gsize) 16 * job.groups * c_out * c_in);

      fold_weights (weight, job.groups * c_out, c_in, u);
      job.weight = u;
    }

  restore_ops_job_run (&job, COL_SLOTS);
  g_free (chunk_run);
  g_free (chunk_offset);
  restore_ops_stats_add (ctx, groups * c_out, k, 0, (double) pixels,
                  (double) groups * c_out * (up && kernel == 3 ? 4 * c_in : k)
                  * pixels,
                  (g_get_monotonic_time () - t0) / 1e6);
}
