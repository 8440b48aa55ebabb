/* gimp-restore tests: the sparse decoder (restore_model_forward_masked())
 * and its convolution on a set of pixels (restore_ops_conv2d_runs()).
 *
 * Its output must equal the dense forward pass's at every pixel with
 * mask > 0, for the shipped models and the test models in tests/data,
 * random networks (plain and gated), and masks of every shape: thin lines,
 * dots, one blob, empty, full, touching the tile's borders, soft values.
 * Every sparse pass runs with the workspace filled with NaN first (the
 * context's poison switch), so a stale value read at a needed pixel would
 * show.  Each case runs with the automatic switch to dense layers and
 * with RESTORE_SPARSE_ALWAYS (sparse at every level); the thin masks
 * must really skip work (fewer multiply-adds than the dense pass).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-engine.h"
#include "restore-ops.h"
#include "restore-unet.h"
#include "grst-writer.h"

/* relative to max (1, max |dense|): the sums run in another order
 * (im2col instead of Winograd) */
#define SPARSE_TOLERANCE 1e-4

/* Two threads, and every masked pass on a workspace poisoned first. */
static RestoreContext *ctx = NULL;

typedef enum
{
  MASK_LINES,     /* thin lines at several angles, 1-3 px wide */
  MASK_DOTS,      /* isolated pixels and 2x2 specks */
  MASK_BLOB,      /* one disc, a third of the tile across */
  MASK_EMPTY,
  MASK_FULL,
  MASK_BORDERS,   /* the outermost rows and columns, and a corner block */
  MASK_SOFT,      /* lines with feathered (0 < m < 1) edges */
  MASK_STRIPES,   /* a row in 6: sparse at the finest level only */
  MASK_COUNT
} MaskKind;

static const char *const mask_names[MASK_COUNT] =
{
  "lines", "dots", "blob", "empty", "full", "borders", "soft", "stripes"
};

static float
mask_value (MaskKind kind,
            int      x,
            int      y,
            int      w,
            int      h,
            GRand   *rand)
{
  switch (kind)
    {
    case MASK_LINES:
      {
        /* a diagonal, a steep line, a horizontal and a vertical one */
        int d1 = abs ((x - y) - w / 5);
        int d2 = abs (3 * x - y - w / 2);
        int d3 = abs (y - (2 * h) / 3);
        int d4 = abs (x - w / 3);

        return d1 < 1 || d2 < 4 || (d3 < 2 && x < w / 2) ||
               (d4 < 1 && y > h / 2) ? 1.0f : 0.0f;
      }
    case MASK_DOTS:
      {
        gboolean dot = g_rand_double (rand) < 0.004;
        gboolean speck = (x % 23 == 5 || x % 23 == 6) &&
                         (y % 19 == 7 || y % 19 == 8);

        return dot || speck ? 1.0f : 0.0f;
      }
    case MASK_BLOB:
      {
        double dx = x - 0.45 * w, dy = y - 0.55 * h, r = MIN (w, h) / 6.0;

        return dx * dx + dy * dy < r * r ? 1.0f : 0.0f;
      }
    case MASK_EMPTY:
      return 0.0f;
    case MASK_FULL:
      return 1.0f;
    case MASK_BORDERS:
      return x == 0 || y == 0 || x == w - 1 || y == h - 1 ||
             (x >= w - 5 && y >= h - 4) ? 1.0f : 0.0f;
    case MASK_SOFT:
      {
        int d = abs ((x + 2 * y) % 29 - 14);

        return d == 0 ? 1.0f : d == 1 ? 0.5f : d == 2 ? 0.125f : 0.0f;
      }
    case MASK_STRIPES:
      return y % 6 == 2 ? 1.0f : 0.0f;
    default:
      g_assert_not_reached ();
    }
  return 0.0f;
}

/* A network input: a smooth picture with noise, times (1 - m), then m. */
static float *
make_input (MaskKind kind,
            int      w,
            int      h,
            guint32  seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  gsize  plane = (gsize) w * h;
  float *x = g_new (float, 4 * plane);

  for (int y = 0; y < h; y++)
    for (int xx = 0; xx < w; xx++)
      {
        gsize i = (gsize) y * w + xx;
        float m = mask_value (kind, xx, y, w, h, rand);

        for (int c = 0; c < 3; c++)
          {
            float v = 0.5f * sinf (0.11f * xx + 0.7f * c) * cosf (0.07f * y)
                      + (float) g_rand_double_range (rand, -0.3, 0.3);

            x[c * plane + i] = v * (1.0f - m);
          }
        x[3 * plane + i] = m;
      }
  g_rand_free (rand);
  return x;
}

/* Multiply-adds the convolutions did since the last reset. */
static double
macs_done (void)
{
  static RestoreConvShape shapes[RESTORE_CONV_SHAPES_MAX];
  int    n = restore_context_stats_get (ctx, shapes, RESTORE_CONV_SHAPES_MAX, NULL);
  double total = 0.0;

  for (int i = 0; i < MIN (n, RESTORE_CONV_SHAPES_MAX); i++)
    total += shapes[i].macs_done;
  return total;
}

static const char *const mode_names[] = { "auto", "off", "always" };
G_STATIC_ASSERT (G_N_ELEMENTS (mode_names) == RESTORE_SPARSE_COUNT);

/* Dense vs masked forward of @model on one mask and tile size in sparse
 * @mode.  Returns the masked pass's multiply-adds over the dense pass's. */
static double
check_one (RestoreModel      *model,
           MaskKind           kind,
           int                w,
           int                h,
           RestoreSparseMode  mode)
{
  GError   *error = NULL;
  gsize     plane = (gsize) w * h;
  int       out_c = restore_model_get_out_channels (model);
  gboolean  detect = restore_model_get_in_channels (model) == 3;
  float    *x = make_input (kind, w, h, 1000 + w + 7 * h + kind);
  float    *dense = g_new (float, out_c * plane);
  float    *sparse = g_new (float, out_c * plane);
  double    err = 0.0, mag = 0.0, dense_macs, sparse_macs;
  gsize     masked = 0;

  if (detect)
    {
      /* a detector's input has no mask channel: RGB only, same planes */
      x = g_renew (float, x, 3 * plane);
    }
  restore_context_stats_reset (ctx);
  g_assert_true (restore_model_forward (model, ctx, x, dense, w, h, &error));
  g_assert_no_error (error);
  dense_macs = macs_done ();

  restore_context_set_sparse (ctx, mode);
  for (gsize i = 0; i < out_c * plane; i++)
    sparse[i] = NAN;
  restore_context_stats_reset (ctx);
  g_assert_true (restore_model_forward_masked (model, ctx, x, sparse, w, h, &error));
  g_assert_no_error (error);
  sparse_macs = macs_done ();
  restore_context_set_sparse (ctx, RESTORE_SPARSE_AUTO);

  for (gsize i = 0; i < out_c * plane; i++)
    {
      gboolean needed = detect || x[3 * plane + i % plane] > 0.0f;

      /* finite everywhere, equal where needed */
      if (! isfinite (sparse[i]))
        g_error ("%s %dx%d: output %" G_GSIZE_FORMAT " (c %d, y %d, x %d) "
                 "is %g", mask_names[kind], w, h, i, (int) (i / plane),
                 (int) (i % plane / w), (int) (i % w), sparse[i]);
      if (! needed)
        continue;
      masked++;
      err = MAX (err, fabs ((double) sparse[i] - dense[i]));
      mag = MAX (mag, fabs ((double) dense[i]));
    }
  g_test_message ("%s %dx%d, %s: %" G_GSIZE_FORMAT
                  " needed outputs, max abs error %.3g (max |y| %.3g), "
                  "multiply-adds %.3g of the dense pass's",
                  mask_names[kind], w, h, mode_names[mode], masked,
                  err, mag, sparse_macs / dense_macs);
  g_assert_cmpfloat (err, <=, SPARSE_TOLERANCE * MAX (mag, 1.0));
  g_free (x);
  g_free (dense);
  g_free (sparse);
  return sparse_macs / dense_macs;
}

/* Every mask on @model at each of @n_sizes tile sizes (w, h pairs); on
 * the last size, with @saves, thin masks must skip work. */
static void
check_model (RestoreModel *model,
             const int    *sizes,
             int           n_sizes,
             gboolean      saves)
{
  gboolean detect = restore_model_get_in_channels (model) == 3;

  for (int s = 0; s < n_sizes; s++)
    {
      int w = sizes[2 * s], h = sizes[2 * s + 1];

      for (int k = 0; k < MASK_COUNT; k++)
        {
          double always = check_one (model, k, w, h, RESTORE_SPARSE_ALWAYS);
          double autom = check_one (model, k, w, h, RESTORE_SPARSE_AUTO);

          if (detect)
            {
              /* no mask: always the whole dense pass */
              g_assert_cmpfloat (always, ==, 1.0);
              g_assert_cmpfloat (autom, ==, 1.0);
              continue;
            }
          if (k == MASK_EMPTY)
            {
              /* nothing to compute at all */
              g_assert_cmpfloat (always, ==, 0.0);
              g_assert_cmpfloat (autom, ==, 0.0);
            }
          /* the encoder alone is a third of the work; thin damage on a
           * tile of some size must skip decoder work (on small networks
           * and tiles the dense layers may well be cheaper) */
          if (saves && s == n_sizes - 1 &&
              (k == MASK_LINES || k == MASK_DOTS))
            g_assert_cmpfloat (autom, <, 0.9);
          /* stripes: the finest level sparse, the next one covered (all
           * of it is needed), so dense: both kinds in one pass */
          if (saves && k == MASK_STRIPES)
            g_assert_cmpfloat (autom, <, 1.0);
          /* all damaged: the dense pass itself */
          if (k == MASK_FULL)
            g_assert_cmpfloat (autom, ==, 1.0);
        }
    }
  /* switched off: the dense pass */
  g_assert_cmpfloat (check_one (model, MASK_LINES, sizes[0], sizes[1],
                                 RESTORE_SPARSE_OFF),
                     ==, 1.0);
}

/* --- restore_ops_conv2d_runs on its own --------------------------------- */

typedef struct
{
  const char        *path;
  int                c_in, c_out, height, width, kernel, up, groups;
  RestoreActivation  act;
  double             density;   /* chance a pixel is in the set */
} RunsCase;

static const RunsCase runs_cases[] =
{
  { "/core/sparse/conv-runs/3x3", 8, 16, 20, 24, 3, 0, 1, RESTORE_ACT_LEAKY_RELU, 0.2 },
  { "/core/sparse/conv-runs/3x3-dense", 6, 5, 9, 13, 3, 0, 1, RESTORE_ACT_RELU, 0.9 },
  { "/core/sparse/conv-runs/3x3-narrow", 5, 7, 10, 6, 3, 0, 1, RESTORE_ACT_NONE, 0.3 },
  { "/core/sparse/conv-runs/3x3-up", 12, 8, 16, 20, 3, 1, 1, RESTORE_ACT_ELU, 0.15 },
  { "/core/sparse/conv-runs/3x3-up-narrow", 4, 6, 8, 6, 3, 1, 1, RESTORE_ACT_LEAKY_RELU, 0.5 },
  { "/core/sparse/conv-runs/gated", 9, 6, 18, 34, 3, 0, 2, RESTORE_ACT_ELU, 0.25 },
  { "/core/sparse/conv-runs/gated-up", 8, 4, 12, 40, 3, 1, 2, RESTORE_ACT_LEAKY_RELU, 0.1 },
  { "/core/sparse/conv-runs/1x1", 16, 3, 24, 40, 1, 0, 1, RESTORE_ACT_NONE, 0.3 },
  { "/core/sparse/conv-runs/1x1-narrow", 5, 3, 7, 4, 1, 0, 1, RESTORE_ACT_RELU, 0.6 },
  { "/core/sparse/conv-runs/many-chunks", 40, 24, 96, 128, 3, 0, 1, RESTORE_ACT_LEAKY_RELU, 0.5 },
  { "/core/sparse/conv-runs/many-chunks-up", 48, 16, 64, 160, 3, 1, 1, RESTORE_ACT_LEAKY_RELU, 0.6 },
};

/* Output pixels at random (runs of a row), the input pixels they read
 * left as they are and every other input pixel NaN: the results must
 * equal the dense convolution's there, and every other output pixel must
 * keep its value. */
static void
test_conv_runs (gconstpointer data)
{
  const RunsCase *c = data;
  GRand          *rand = g_rand_new_with_seed (c->c_in * 131 + c->width);
  int             h = c->height, w = c->width, hi = h >> c->up, wi = w >> c->up;
  int             m = c->groups * c->c_out, pad = (c->kernel - 1) / 2;
  gsize           plane = (gsize) h * w, plane_in = (gsize) hi * wi;
  gsize           n_w = (gsize) m * c->c_in * c->kernel * c->kernel;
  float          *input = g_new (float, c->c_in * plane_in);
  float          *full = g_new (float, c->c_in * plane);
  float          *weight = g_new (float, n_w);
  float          *bias = g_new (float, m);
  float          *raw = g_new (float, m * plane);
  float          *ref = g_new (float, c->c_out * plane);
  float          *out = g_new (float, c->c_out * plane);
  guint8         *set = g_new0 (guint8, plane);
  guint8         *read = g_new0 (guint8, plane_in);
  RestoreSpan    *spans = g_new (RestoreSpan, plane);
  int             n_spans = 0;
  float          *col;
  double          err = 0.0, mag = 0.0;

  for (gsize i = 0; i < c->c_in * plane_in; i++)
    input[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  for (gsize i = 0; i < n_w; i++)
    weight[i] = (float) g_rand_double_range (rand, -0.3, 0.3);
  for (int i = 0; i < m; i++)
    bias[i] = (float) g_rand_double_range (rand, -0.2, 0.2);

  /* the set, as runs; the last row and the corners always in it */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      set[(gsize) y * w + x] = g_rand_double (rand) < c->density ||
                               y == h - 1 || (x == 0 && y == 0) ||
                               (x == w - 1 && y == 0);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (set[(gsize) y * w + x] && (x == 0 || ! set[(gsize) y * w + x - 1]))
        {
          int x1 = x;

          while (x1 < w && set[(gsize) y * w + x1])
            x1++;
          spans[n_spans].y = y;
          spans[n_spans].x0 = x;
          spans[n_spans].x1 = x1;
          n_spans++;
        }

  /* the dense reference on the upsampled input */
  if (c->up)
    restore_ops_upsample2x (input, c->c_in, hi, wi, full);
  else
    memcpy (full, input, sizeof (float) * c->c_in * plane);
  restore_ops_conv2d_reference (full, c->c_in, h, w, weight, bias, m,
                                c->kernel, 1, 1,
                                c->groups == 2 ? RESTORE_ACT_NONE : c->act,
                                raw);
  if (c->groups == 2)
    restore_ops_gate (raw, c->c_out, plane, c->act, ref);
  else
    memcpy (ref, raw, sizeof (float) * c->c_out * plane);

  /* NaN wherever no output pixel of the set reads */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (set[(gsize) y * w + x])
        for (int dy = -pad; dy <= pad; dy++)
          for (int dx = -pad; dx <= pad; dx++)
            {
              int yy = y + dy, xx = x + dx;

              if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                read[(gsize) (yy >> c->up) * wi + (xx >> c->up)] = 1;
            }
  for (int ch = 0; ch < c->c_in; ch++)
    for (gsize i = 0; i < plane_in; i++)
      if (! read[i])
        input[ch * plane_in + i] = NAN;

  for (gsize i = 0; i < c->c_out * plane; i++)
    out[i] = 1234.5f;
  col = g_new (float, restore_ops_conv2d_runs_col_floats (c->c_in, c->kernel, m, h, w));
  restore_ops_conv2d_runs (ctx, input, c->c_in, h, w, c->up, weight, bias,
                           c->c_out, c->groups, c->kernel, c->act, spans,
                           n_spans, out, col);
  for (gsize i = 0; i < c->c_out * plane; i++)
    {
      if (! set[i % plane])
        {
          g_assert_cmpfloat (out[i], ==, 1234.5f);
          continue;
        }
      g_assert_true (isfinite (out[i]));
      err = MAX (err, fabs ((double) out[i] - ref[i]));
      mag = MAX (mag, fabs ((double) ref[i]));
    }
  g_test_message ("%d spans, max abs error %.3g, max |y| %.3g", n_spans,
                  err, mag);
  g_assert_cmpfloat (err, <=, 1e-5 * MAX (mag, 1.0));

  g_free (col);
  g_free (spans);
  g_free (read);
  g_free (set);
  g_free (out);
  g_free (ref);
  g_free (raw);
  g_free (bias);
  g_free (weight);
  g_free (full);
  g_free (input);
  g_rand_free (rand);
}

/* tests/data/NAME or weights/NAME */
static RestoreModel *
load_named (const char *file)
{
  char         *path = g_test_build_filename (G_TEST_DIST, "data", file, NULL);
  RestoreModel *model;
  GError       *error = NULL;

  if (! g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_free (path);
      path = g_test_build_filename (G_TEST_DIST, "..", "weights", file, NULL);
    }
  model = restore_model_load (path, &error);
  g_assert_no_error (error);
  g_free (path);
  return model;
}

static void
test_file_model (gconstpointer data)
{
  const char   *file = data;
  RestoreModel *model = load_named (file);
  int           multiple;
  int           sizes[6];

  multiple = 1 << restore_model_get_depth (model);
  /* a small and an oblong tile, and one of 128 or more a side */
  sizes[0] = 4 * multiple;
  sizes[1] = 3 * multiple;
  sizes[2] = MAX (96, 2 * multiple);
  sizes[3] = MAX (64, multiple);
  sizes[4] = (128 + multiple - 1) / multiple * multiple;
  sizes[5] = sizes[4] + multiple;
  /* the shipped models must save work */
  check_model (model, sizes, 3, g_str_has_prefix (file, "scratch") ||
               g_str_has_prefix (file, "general"));
  restore_model_free (model);
}

typedef struct
{
  const char *path;
  gboolean    gated;
  gboolean    residual;
  const char *activation;
  int         n_channels;
  guint32     channels[5];
  int         n_dilations;
  guint32     dilations[2];
} NetCase;

static const NetCase net_cases[] =
{
  { "/core/sparse/random/plain", FALSE, TRUE, "relu", 3, { 8, 12, 16 }, 1, { 2 } },
  { "/core/sparse/random/gated", TRUE, TRUE, "elu", 4, { 8, 8, 16, 16 }, 2, { 1, 2 } },
  { "/core/sparse/random/not-residual", FALSE, FALSE, "leaky_relu", 2, { 4, 9 }, 0, { 0 } },
  { "/core/sparse/random/deep", TRUE, FALSE, "leaky_relu", 5, { 8, 8, 8, 12, 12 }, 0, { 0 } },
};

static void
test_random_net (gconstpointer data)
{
  const NetCase *c = data;
  UnetSpec       spec = { 0 };
  gsize          size;
  guint8        *file;
  GError        *error = NULL;
  RestoreModel  *model;
  int            m, sizes[6];

  spec.gated = c->gated;
  spec.residual = c->residual;
  spec.activation = c->activation;
  spec.n_channels = c->n_channels;
  memcpy (spec.channels, c->channels, sizeof c->channels);
  spec.n_dilations = c->n_dilations;
  memcpy (spec.dilations, c->dilations, sizeof c->dilations);
  spec.seed = 17;
  file = unet_write (&spec, &size);
  model = restore_model_load_from_data (file, size, &error);
  g_assert_no_error (error);
  g_free (file);

  m = 1 << (c->n_channels - 1);
  sizes[0] = m;
  sizes[1] = 2 * m;
  sizes[2] = 96;
  sizes[3] = 64;
  sizes[4] = 80;
  sizes[5] = 112;
  check_model (model, sizes, 3, FALSE);
  restore_model_free (model);
}

/* The same model over tiles of different sizes, the workspace and the
 * span list growing and shrinking between them. */
static void
test_sizes_in_turn (void)
{
  RestoreModel *model = load_named ("tiny-gated.grst");
  int           m;

  m = 1 << restore_model_get_depth (model);
  check_one (model, MASK_LINES, 16 * m, 12 * m, RESTORE_SPARSE_ALWAYS);
  check_one (model, MASK_DOTS, 2 * m, 3 * m, RESTORE_SPARSE_ALWAYS);
  check_one (model, MASK_SOFT, 20 * m, 20 * m, RESTORE_SPARSE_ALWAYS);
  check_one (model, MASK_BORDERS, 3 * m, 2 * m, RESTORE_SPARSE_AUTO);
  restore_model_free (model);
}

/* restore_run() end to end (tiles with halos, composite, denoise and
 * sharpen, alpha) with the dense and the sparse decoder: the same result
 * up to float rounding, and the unmasked pixels untouched. */
static void
test_engine (void)
{
  RestoreModel  *model = load_named ("scratch.grst");
  int            w = 300, h = 220, ch = 4;
  gsize          n = (gsize) w * h * ch;
  GRand         *rand = g_rand_new_with_seed (99);
  float         *src = g_new (float, n), *m = g_new (float, (gsize) w * h);
  float         *dense = g_new (float, n), *sparse = g_new (float, n);
  RestoreImage   in = { src, w, h, ch, (gsize) w * ch };
  RestoreImage   out_dense = { dense, w, h, ch, (gsize) w * ch };
  RestoreImage   out_sparse = { sparse, w, h, ch, (gsize) w * ch };
  RestoreMask    mask = { m, w, h, (gsize) w };
  RestoreOptions options = { 0 };
  GError        *error = NULL;
  double         err = 0.0;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *p = src + ((gsize) y * w + x) * ch;

        for (int c = 0; c < 3; c++)
          p[c] = CLAMP (0.5f + 0.3f * sinf (0.05f * x + c) * cosf (0.04f * y)
                        + (float) g_rand_double_range (rand, -0.05, 0.05),
                        0.0f, 1.0f);
        p[3] = 1.0f;
        m[(gsize) y * w + x] = mask_value (MASK_LINES, x, y, w, h, rand) > 0.0f ||
                               mask_value (MASK_SOFT, x, y, w, h, rand) > 0.4f ?
                               1.0f : mask_value (MASK_SOFT, x, y, w, h, rand);
      }
  options.denoise = 0.3;
  options.sharpen = 0.3;
  options.tile_size = 128;
  options.context = ctx;

  restore_context_set_sparse (ctx, RESTORE_SPARSE_OFF);
  g_assert_true (restore_run (&model, 1, &in, &mask, &out_dense, &options,
                              &error));
  g_assert_no_error (error);
  for (int mode = RESTORE_SPARSE_AUTO; mode < RESTORE_SPARSE_COUNT; mode++)
    {
      if (mode == RESTORE_SPARSE_OFF)
        continue;
      restore_context_set_sparse (ctx, mode);
      g_assert_true (restore_run (&model, 1, &in, &mask, &out_sparse,
                                  &options, &error));
      g_assert_no_error (error);
      for (gsize i = 0; i < n; i++)
        {
          g_assert_true (isfinite (sparse[i]));
          err = MAX (err, fabs ((double) sparse[i] - dense[i]));
          if (m[i / ch] == 0.0f)
            g_assert_cmpfloat (sparse[i], ==, src[i]);
        }
      g_test_message ("%s: max abs difference to the dense decoder %.3g",
                      mode_names[mode], err);
      g_assert_cmpfloat (err, <=, 1e-4);
    }
  restore_context_set_sparse (ctx, RESTORE_SPARSE_AUTO);
  restore_model_free (model);
  g_rand_free (rand);
  g_free (src);
  g_free (m);
  g_free (dense);
  g_free (sparse);
}

/* @src mirrored into @dst (the test's own indexing, not the core's). */
static void
mirror (const float *src,
        float       *dst,
        int          planes,
        int          w,
        int          h,
        gboolean     fx,
        gboolean     fy)
{
  for (int c = 0; c < planes; c++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        dst[((gsize) c * h + y) * w + x] =
          src[((gsize) c * h + (fy ? h - 1 - y : y)) * w + (fx ? w - 1 - x : x)];
}

/* restore_model_forward_flipped(): the mean of the forward passes on the
 * tile and its mirror images, mirrored back, computed here from
 * restore_model_forward(); the masked variant agrees where the mask is
 * set; 4 flips really differ from 1 (the network is not symmetric). */
static void
test_flipped (void)
{
  RestoreModel *model = load_named ("tiny-harmonic.grst");
  int           m = 1 << restore_model_get_depth (model);
  int           w = 5 * m, h = 3 * m;
  gsize         plane = (gsize) w * h;
  float        *x = make_input (MASK_BLOB, w, h, 4242);
  float        *xf = g_new (float, 4 * plane), *y = g_new (float, 3 * plane);
  float        *yf = g_new (float, 3 * plane), *back = g_new (float, 3 * plane);
  float        *want = g_new0 (float, 3 * plane), *got = g_new (float, 3 * plane);
  GError       *error = NULL;

  for (int n = 2; n <= 4; n += 2)
    {
      double err = 0.0, spread = 0.0;

      memset (want, 0, sizeof (float) * 3 * plane);
      for (int f = 0; f < n; f++)
        {
          mirror (x, xf, 4, w, h, f & 1, f & 2);
          g_assert_true (restore_model_forward (model, ctx, xf, yf, w, h, &error));
          g_assert_no_error (error);
          mirror (yf, back, 3, w, h, f & 1, f & 2);
          for (gsize i = 0; i < 3 * plane; i++)
            want[i] += back[i] / n;
        }
      g_assert_true (restore_model_forward (model, ctx, x, y, w, h, &error));
      g_assert_true (restore_model_forward_flipped (model, ctx, x, got, w, h, n, FALSE, &error));
      g_assert_no_error (error);
      for (gsize i = 0; i < 3 * plane; i++)
        {
          err = MAX (err, fabs ((double) got[i] - want[i]));
          spread = MAX (spread, fabs ((double) y[i] - want[i]));
        }
      g_test_message ("%d flips: max abs error %.3g, max change from one pass %.3g",
                      n, err, spread);
      g_assert_cmpfloat (err, <=, 1e-5);
      g_assert_cmpfloat (spread, >, 1e-3);

      /* the sparse decoder on each mirror image: equal where m > 0 */
      g_assert_true (restore_model_forward_flipped (model, ctx, x, got, w, h, n, TRUE, &error));
      g_assert_no_error (error);
      err = 0.0;
      for (gsize i = 0; i < 3 * plane; i++)
        if (x[3 * plane + i % plane] > 0.0f)
          err = MAX (err, fabs ((double) got[i] - want[i]));
      g_assert_cmpfloat (err, <=, SPARSE_TOLERANCE);
    }
  /* one flip is the plain pass */
  g_assert_true (restore_model_forward_flipped (model, ctx, x, got, w, h, 1, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (got, sizeof (float) * 3 * plane, y, sizeof (float) * 3 * plane);
  restore_model_free (model);

  g_free (x);
  g_free (xf);
  g_free (y);
  g_free (yf);
  g_free (back);
  g_free (want);
  g_free (got);
}

/* restore_run() on general.grst with options.flips 0 (the file's own
 * restore.flips and restore.flips_radius): over a blob 36 px across (half-
 * width about 18) the file's flips; over lines at most 3 px wide (half-
 * width under 2) no flips when the file sets a flips_radius of 2 or more.
 * More flips change the masked pixels only. */
static void
test_flipped_engine (void)
{
  RestoreModel *general = load_named ("general.grst");
  int           iw = 150, ih = 110, own = restore_model_get_flips (general);
  double        radius = restore_model_get_flips_radius (general);
  gsize         n = (gsize) iw * ih * 3;
  float        *src = g_new (float, n), *mk = g_new (float, (gsize) iw * ih);
  RestoreImage  in = { src, iw, ih, 3, (gsize) iw * 3 };
  RestoreMask   mask = { mk, iw, ih, (gsize) iw };
  GError       *error = NULL;

  for (int yy = 0; yy < ih; yy++)
    for (int xx = 0; xx < iw; xx++)
      for (int c = 0; c < 3; c++)
        src[((gsize) yy * iw + xx) * 3 + c] =
          0.5f + 0.3f * sinf (0.09f * xx + c) * cosf (0.13f * yy);
  for (int kind = MASK_LINES; kind <= MASK_BLOB; kind += MASK_BLOB - MASK_LINES)
    {
      GRand         *rand = g_rand_new_with_seed (5);
      /* what options.flips 0 must come to */
      int            expect = kind == MASK_BLOB || !(radius >= 2.0) ? own : 1;
      const int      flips[3] = { 0, 1, own };
      float         *out[3];
      RestoreOptions options;
      double         diff = 0.0;

      for (int yy = 0; yy < ih; yy++)
        for (int xx = 0; xx < iw; xx++)
          mk[(gsize) yy * iw + xx] = mask_value (kind, xx, yy, iw, ih, rand);
      restore_options_init (&options);
      options.n_threads = 2;
      for (int k = 0; k < 3; k++)
        {
          RestoreImage dst = { out[k] = g_new (float, n), iw, ih, 3, (gsize) iw * 3 };

          options.flips = flips[k];
          g_assert_true (restore_run (&general, 1, &in, &mask, &dst, &options, &error));
          g_assert_no_error (error);
        }
      g_assert_cmpmem (out[0], sizeof (float) * n, out[expect == 1 ? 1 : 2], sizeof (float) * n);
      for (gsize i = 0; i < n; i++)
        if (mk[i / 3] == 0.0f)
          g_assert_cmpfloat (out[1][i], ==, src[i]);
        else
          diff = MAX (diff, fabs ((double) out[1][i] - out[2][i]));
      g_test_message ("general.grst, %s: restore.flips %d, flips_radius %g: %d flips; "
                      "%d flips change the fill by up to %.3g", mask_names[kind], own,
                      radius, expect, own, diff);
      if (own > 1)
        g_assert_cmpfloat (diff, >, 1e-3);
      for (int k = 0; k < 3; k++)
        g_free (out[k]);
      g_rand_free (rand);
    }
  restore_model_free (general);
  g_free (src);
  g_free (mk);
}

int
main (int    argc,
      char **argv)
{
  static const char *const files[] =
  {
    "tiny-plain.grst", "tiny-gated.grst", "tiny-prefill.grst", "tiny-harmonic.grst",
    "tiny-sweeps.grst",
    "tiny-detect.grst", "scratch.grst", "general.grst"
  };

  g_test_init (&argc, &argv, NULL);
  ctx = restore_context_new (2);
  restore_context_set_poison (ctx, TRUE);

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      char *path = g_strdup_printf ("/core/sparse/model/%s", files[i]);

      g_test_add_data_func (path, files[i], test_file_model);
      g_free (path);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (net_cases); i++)
    g_test_add_data_func (net_cases[i].path, &net_cases[i], test_random_net);
  g_test_add_func ("/core/sparse/sizes-in-turn", test_sizes_in_turn);
  g_test_add_func ("/core/sparse/engine", test_engine);
  g_test_add_func ("/core/sparse/flipped", test_flipped);
  g_test_add_func ("/core/sparse/flipped-engine", test_flipped_engine);
  for (gsize i = 0; i < G_N_ELEMENTS (runs_cases); i++)
    g_test_add_data_func (runs_cases[i].path, &runs_cases[i], test_conv_runs);
  {
    int status = g_test_run ();

    restore_context_free (ctx);
    return status;
  }
}
