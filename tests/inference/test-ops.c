/* gimp-restore tests: the optimised convolution against the reference
 * loops, activations, gating, upsampling and determinism.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <cblas.h>

#include "restore-context.h"
#include "restore-ops.h"
#include "restore-fill.h"

/* The context the convolutions below run with. */
static RestoreContext *ctx = NULL;

/* Runs the following convolutions on @n threads (a new context); returns
 * the previous count. */
static int
use_threads (int n)
{
  int previous = ctx ? restore_context_get_threads (ctx) : 1;

  restore_context_free (ctx);
  ctx = restore_context_new (n);
  return previous;
}

static float *
random_floats (GRand *rand,
               gsize  n,
               double range)
{
  float *data = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    data[i] = (float) g_rand_double_range (rand, -range, range);
  return data;
}

/* max |a - b| / max |b| */
static double
normalised_error (const float *a,
                  const float *b,
                  gsize        n)
{
  double err = 0.0, mag = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      err = MAX (err, fabs ((double) a[i] - b[i]));
      mag = MAX (mag, fabs ((double) b[i]));
    }
  return mag > 0.0 ? err / mag : err;
}

typedef struct
{
  const char        *path;
  int                c_in, c_out, height, width, kernel, stride, dilation;
  RestoreActivation  act;
  gboolean           no_bias;
} ConvCase;

static const ConvCase conv_cases[] =
{
  { "/core/conv/3x3",              8, 16, 17, 23, 3, 1, 1, RESTORE_ACT_NONE },
  { "/core/conv/3x3-relu",         4, 8, 32, 32, 3, 1, 1, RESTORE_ACT_RELU },
  { "/core/conv/3x3-stride2",      6, 10, 32, 48, 3, 2, 1, RESTORE_ACT_LEAKY_RELU },
  { "/core/conv/3x3-stride2-odd",  5, 7, 15, 9, 3, 2, 1, RESTORE_ACT_NONE },
  { "/core/conv/3x3-dilation2",    7, 9, 20, 20, 3, 1, 2, RESTORE_ACT_ELU },
  { "/core/conv/3x3-dilation4",    8, 8, 16, 24, 3, 1, 4, RESTORE_ACT_NONE },
  { "/core/conv/3x3-dilation-wide", 3, 5, 6, 5, 3, 1, 4, RESTORE_ACT_NONE },
  { "/core/conv/1x1",              12, 3, 16, 16, 1, 1, 1, RESTORE_ACT_NONE },
  { "/core/conv/1x1-odd",          13, 5, 7, 11, 1, 1, 1, RESTORE_ACT_RELU },
  { "/core/conv/1x1-stride2",      6, 4, 8, 10, 1, 2, 1, RESTORE_ACT_NONE },
  { "/core/conv/odd-channels",     3, 7, 9, 13, 3, 1, 1, RESTORE_ACT_LEAKY_RELU },
  { "/core/conv/single-pixel",     5, 6, 1, 1, 3, 1, 1, RESTORE_ACT_NONE },
  { "/core/conv/no-bias",          4, 4, 8, 8, 3, 1, 1, RESTORE_ACT_NONE, TRUE },
  { "/core/conv/5x5",              3, 4, 12, 12, 5, 1, 1, RESTORE_ACT_NONE },
  /* large enough that im2col runs in several bands */
  { "/core/conv/banded",           128, 4, 40, 128, 3, 1, 1, RESTORE_ACT_RELU },
};

static void
test_conv (gconstpointer data)
{
  const ConvCase *c = data;
  GRand          *rand = g_rand_new_with_seed (1234);
  int             h_out = restore_ops_conv_out_size (c->height, c->kernel,
                                                     c->stride, c->dilation);
  int             w_out = restore_ops_conv_out_size (c->width, c->kernel,
                                                     c->stride, c->dilation);
  gsize           n_in = (gsize) c->c_in * c->height * c->width;
  gsize           n_out = (gsize) c->c_out * h_out * w_out;
  gsize           n_col = restore_ops_conv2d_col_floats (c->c_in, c->kernel,
                                                         c->stride, c->dilation,
                                                         c->height, c->width);
  float          *input = random_floats (rand, n_in, 1.0);
  float          *weight = random_floats (rand, (gsize) c->c_out * c->c_in *
                                          c->kernel * c->kernel, 0.5);
  float          *bias = c->no_bias ? NULL : random_floats (rand, c->c_out, 0.5);
  float          *col = n_col ? g_new (float, n_col) : NULL;
  float          *fast = g_new (float, n_out);
  float          *ref = g_new (float, n_out);
  double          err;

  if (c->stride == 1)
    {
      g_assert_cmpint (h_out, ==, c->height);
      g_assert_cmpint (w_out, ==, c->width);
    }
  else
    {
      g_assert_cmpint (h_out, ==, (c->height + 1) / 2);
      g_assert_cmpint (w_out, ==, (c->width + 1) / 2);
    }
  if (c->kernel == 1 && c->stride == 1)
    g_assert_cmpuint (n_col, ==, 0);

  restore_ops_conv2d (ctx, input, c->c_in, c->height, c->width, weight, bias,
                      c->c_out, c->kernel, c->stride, c->dilation, c->act,
                      fast, col);
  restore_ops_conv2d_reference (input, c->c_in, c->height, c->width, weight,
                                bias, c->c_out, c->kernel, c->stride,
                                c->dilation, c->act, ref);
  err = normalised_error (fast, ref, n_out);
  g_test_message ("normalised max error %.3g", err);
  g_assert_cmpfloat (err, <=, 1e-5);

  g_free (input);
  g_free (weight);
  g_free (bias);
  g_free (col);
  g_free (fast);
  g_free (ref);
  g_rand_free (rand);
}

/* The reference itself, checked by hand on a 3x3 input. */
static void
test_conv_reference_by_hand (void)
{
  const float input[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  float       weight[9] = { 0 };
  const float bias[1] = { 0.5f };
  float       out[9], fast[9], col[81];

  weight[4] = 2.0f;  /* centre tap */
  weight[0] = 1.0f;  /* top-left tap: reads (y - 1, x - 1) */
  restore_ops_conv2d_reference (input, 1, 3, 3, weight, bias, 1, 3, 1, 1,
                                RESTORE_ACT_NONE, out);
  g_assert_cmpfloat (out[0], ==, 2.5f);            /* 2*1 + 0 + 0.5 */
  g_assert_cmpfloat (out[4], ==, 2 * 5 + 1 + 0.5f);
  g_assert_cmpfloat (out[8], ==, 2 * 9 + 5 + 0.5f);
  restore_ops_conv2d (ctx, input, 1, 3, 3, weight, bias, 1, 3, 1, 1,
                      RESTORE_ACT_NONE, fast, col);
  g_assert_cmpmem (fast, sizeof fast, out, sizeof out);

  /* stride 2: outputs at (0,0), (0,2), (2,0), (2,2) */
  restore_ops_conv2d_reference (input, 1, 3, 3, weight, bias, 1, 3, 2, 1,
                                RESTORE_ACT_NONE, out);
  g_assert_cmpfloat (out[0], ==, 2.5f);
  g_assert_cmpfloat (out[1], ==, 2 * 3 + 0.5f);
  g_assert_cmpfloat (out[3], ==, 2 * 9 + 5 + 0.5f);
}

static void
test_activations (void)
{
  float x[7] = { -3.0f, -1.0f, -0.25f, 0.0f, 0.5f, 2.0f, 100.0f };
  float y[7];
  const float bias[1] = { 1.0f };

  memcpy (y, x, sizeof x);
  restore_ops_activate (y, 7, RESTORE_ACT_RELU);
  for (int i = 0; i < 7; i++)
    g_assert_cmpfloat (y[i], ==, x[i] > 0 ? x[i] : 0.0f);

  memcpy (y, x, sizeof x);
  restore_ops_activate (y, 7, RESTORE_ACT_LEAKY_RELU);
  for (int i = 0; i < 7; i++)
    g_assert_cmpfloat_with_epsilon (y[i], x[i] > 0 ? x[i] : 0.2f * x[i], 1e-7);

  memcpy (y, x, sizeof x);
  restore_ops_activate (y, 7, RESTORE_ACT_ELU);
  for (int i = 0; i < 7; i++)
    g_assert_cmpfloat_with_epsilon (y[i], x[i] > 0 ? x[i] : expm1 (x[i]), 1e-6);

  memcpy (y, x, sizeof x);
  restore_ops_activate (y, 7, RESTORE_ACT_NONE);
  g_assert_cmpmem (y, sizeof y, x, sizeof x);

  /* bias + activation in one pass */
  memcpy (y, x, sizeof x);
  restore_ops_bias_activate (y, 7, bias, 1, 7, RESTORE_ACT_RELU);
  for (int i = 0; i < 7; i++)
    g_assert_cmpfloat (y[i], ==, x[i] + 1 > 0 ? x[i] + 1 : 0.0f);

  /* The rectifiers to the bit, in the four-at-a-time body and in the tail
   * (19 values), with and without a bias: NaN, -0, +0, subnormals. */
  {
    float z[19] = { -0.0f, 0.0f, NAN, -NAN, -1e-40f, 1e-40f, -2.5f, 3.0f, -1e30f, 1e30f,
                    -0.0f, NAN, -7.0f, 0.125f, -1e-40f, -0.0f, 4.0f, NAN, -0.5f };
    float w[19], e[19];
    const float bias0[2] = { 0.0f, -0.75f };

    for (int b = -1; b < 2; b++)
      for (int a = RESTORE_ACT_RELU; a <= RESTORE_ACT_LEAKY_RELU; a++)
        {
          for (int i = 0; i < 19; i++)
            {
              float v = b < 0 ? z[i] : z[i] + bias0[b];

              if (a == RESTORE_ACT_RELU)
                e[i] = v > 0.0f ? v : 0.0f;
              else
                e[i] = v >= 0.0f ? v : 0.2f * v;
            }
          memcpy (w, z, sizeof z);
          if (b < 0)
            restore_ops_activate (w, 19, a);
          else
            restore_ops_bias_activate (w, 19, bias0 + b, 1, 19, a);
          g_assert_cmpmem (w, sizeof w, e, sizeof e);
        }
  }

  /* names */
  for (int a = 0; a < RESTORE_ACT_COUNT; a++)
    {
      RestoreActivation back;

      g_assert_true (restore_activation_from_name (restore_activation_get_name (a),
                                                   &back));
      g_assert_cmpint (back, ==, a);
    }
  {
    RestoreActivation back;

    g_assert_false (restore_activation_from_name ("tanh", &back));
    g_assert_false (restore_activation_from_name (NULL, &back));
  }
  g_assert_null (restore_activation_get_name (RESTORE_ACT_COUNT));
  g_assert_cmpstr (restore_op_get_name (RESTORE_OP_CONV2D), ==, "conv2d");
  g_assert_null (restore_op_get_name (RESTORE_OP_COUNT));
}

static void
test_gate (void)
{
  /* 2 channels x 2 pixels: a = [-1, 2, 3, -4], b = [0, 10, -10, 1] */
  float raw[8] = { -1, 2, 3, -4, 0, 10, -10, 1 };
  float out[4];

  restore_ops_gate (raw, 2, 2, RESTORE_ACT_LEAKY_RELU, out);
  g_assert_cmpfloat_with_epsilon (out[0], -0.2 * 0.5, 1e-7);
  g_assert_cmpfloat_with_epsilon (out[1], 2.0 / (1.0 + exp (-10.0)), 1e-6);
  g_assert_cmpfloat_with_epsilon (out[2], 3.0 / (1.0 + exp (10.0)), 1e-7);
  g_assert_cmpfloat_with_epsilon (out[3], -0.8 / (1.0 + exp (-1.0)), 1e-6);

  /* in place */
  restore_ops_gate (raw, 2, 2, RESTORE_ACT_LEAKY_RELU, raw);
  g_assert_cmpmem (raw, sizeof out, out, sizeof out);
}

static void
test_upsample (void)
{
  /* 2 channels, 2x3 */
  const float in[12] = { 1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60 };
  float       out[48];

  restore_ops_upsample2x (in, 2, 2, 3, out);
  for (int c = 0; c < 2; c++)
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 6; x++)
        g_assert_cmpfloat (out[(c * 4 + y) * 6 + x], ==,
                           in[(c * 2 + y / 2) * 3 + x / 2]);
}

static void
test_push_pull (void)
{
  float scratch[64];
  int   h = 13, w = 7;
  float values[2 * 13 * 7], weight[13 * 7], *big;
  GRand *rand = g_rand_new_with_seed (5);

  g_assert_cmpuint (restore_fill_push_pull_floats (3, 1, 1, 0), ==, 0);
  /* 1x2 -> 1x1: 2 levels, (3 + 1) floats of scratch */
  g_assert_cmpuint (restore_fill_push_pull_floats (3, 1, 2, 0), ==, 4);

  /* one known pixel fills its unknown neighbour */
  {
    float v[2] = { 0.7f, 0.0f }, wt[2] = { 1.0f, 0.0f };

    restore_fill_push_pull (v, wt, 1, 1, 2, 0, scratch);
    g_assert_cmpfloat (v[0], ==, 0.7f);
    g_assert_cmpfloat_with_epsilon (v[1], 0.7f, 1e-7);
  }
  /* a soft pixel: a * p / w + (1 - a) * coarse, by hand */
  {
    float v[2] = { 2.0f * 1.0f, 4.0f * 0.5f }, wt[2] = { 1.0f, 0.5f };

    restore_fill_push_pull (v, wt, 1, 1, 2, 0, scratch);
    g_assert_cmpfloat (v[0], ==, 2.0f);
    g_assert_cmpfloat_with_epsilon (v[1], 0.5 * 4.0 + 0.5 * (4.0 / 1.5), 1e-6);
  }
  /* nothing known: zeros */
  {
    float v[4] = { 0, 0, 0, 0 }, wt[4] = { 0, 0, 0, 0 };

    restore_fill_push_pull (v, wt, 1, 2, 2, 0, scratch);
    for (int i = 0; i < 4; i++)
      g_assert_cmpfloat (v[i], ==, 0.0f);
  }
  /* odd sizes, a hole in a constant picture: known pixels come back
   * exactly, the hole gets the constant */
  for (int i = 0; i < h * w; i++)
    {
      int y = i / w, x = i % w;

      weight[i] = (y >= 3 && y < 9 && x >= 2 && x < 6) ? 0.0f : 1.0f;
      values[i] = 0.25f * weight[i];
      values[h * w + i] = -0.5f * weight[i];
    }
  big = g_new (float, restore_fill_push_pull_floats (2, h, w, 0));
  restore_fill_push_pull (values, weight, 2, h, w, 0, big);
  for (int i = 0; i < h * w; i++)
    {
      g_assert_cmpfloat_with_epsilon (values[i], 0.25f, 1e-6);
      g_assert_cmpfloat_with_epsilon (values[h * w + i], -0.5f, 1e-6);
    }
  /* random known pixels are kept bit for bit */
  for (int i = 0; i < h * w; i++)
    {
      float v = (float) g_rand_double_range (rand, -1.0, 1.0);

      weight[i] = g_rand_boolean (rand) ? 1.0f : 0.0f;
      values[i] = values[h * w + i] = v * weight[i];
    }
  restore_fill_push_pull (values, weight, 1, h, w, 0, big);
  for (int i = 0; i < h * w; i++)
    {
      if (weight[i] == 1.0f)
        g_assert_cmpfloat (values[i], ==, values[h * w + i]);
      g_assert_true (values[i] >= -1.0f && values[i] <= 1.0f);
    }
  g_free (big);
  g_rand_free (rand);
}

/* The "harmonic" pre-fill: push-pull, then red-black relaxation per level. */
static void
test_push_pull_harmonic (void)
{
  float scratch[64];
  int   h = 21, w = 17;
  float values[21 * 17], weight[21 * 17], *big;

  /* with sweeps, a copy of the input level and its cells' list come on top */
  g_assert_cmpuint (restore_fill_push_pull_floats (3, 1, 2, 8), ==, 4 + 6 + 2);

  /* one sweep on a soft pixel, by hand: pulled 2 + 0.5 * 4 / 1.5, then
   * 2 + 0.5 * ((v + v) + (2 + v)) / 4 (the edges replicate it) = 3.5 */
  {
    float v[2] = { 2.0f * 1.0f, 4.0f * 0.5f }, wt[2] = { 1.0f, 0.5f };

    restore_fill_push_pull (v, wt, 1, 1, 2, 1, scratch);
    g_assert_cmpfloat (v[0], ==, 2.0f);
    g_assert_cmpfloat_with_epsilon (v[1], 3.5f, 1e-6);
  }

  /* a hole in a linear ramp: the membrane fill is the ramp itself, which
   * push-pull alone does not reach; known pixels come back bit for bit */
  for (int i = 0; i < h * w; i++)
    {
      int y = i / w, x = i % w;

      weight[i] = (y >= 4 && y < 17 && x >= 3 && x < 14) ? 0.0f : 1.0f;
      values[i] = (0.05f * x - 0.02f * y) * weight[i];
    }
  big = g_new (float, restore_fill_push_pull_floats (1, h, w, 200));
  {
    float plain[21 * 17];
    double err_plain = 0.0, err = 0.0;

    memcpy (plain, values, sizeof plain);
    restore_fill_push_pull (plain, weight, 1, h, w, 0, big);
    restore_fill_push_pull (values, weight, 1, h, w, 200, big);
    for (int i = 0; i < h * w; i++)
      {
        int   y = i / w, x = i % w;
        float ramp = 0.05f * x - 0.02f * y;

        if (weight[i] == 1.0f)
          g_assert_cmpfloat (values[i], ==, ramp);
        err = MAX (err, fabs (values[i] - ramp));
        err_plain = MAX (err_plain, fabs (plain[i] - ramp));
      }
    g_assert_cmpfloat (err, <, 1e-4);
    g_assert_cmpfloat (err_plain, >, 10 * err);
  }
  g_free (big);
}

static void
test_determinism (void)
{
  GRand *rand = g_rand_new_with_seed (99);
  int    c_in = 32, c_out = 32, h = 64, w = 64;
  float *input = random_floats (rand, (gsize) c_in * h * w, 1.0);
  float *weight = random_floats (rand, (gsize) c_out * c_in * 9, 0.2);
  float *bias = random_floats (rand, c_out, 0.2);
  float *col = g_new (float, restore_ops_conv2d_col_floats (c_in, 3, 1, 1, h, w));
  float *a = g_new (float, (gsize) c_out * h * w);
  float *b = g_new (float, (gsize) c_out * h * w);
  int    previous = use_threads (2);

  g_assert_cmpint (restore_context_get_threads (ctx), ==, 2);
  restore_ops_conv2d (ctx, input, c_in, h, w, weight, bias, c_out, 3, 1, 1,
                      RESTORE_ACT_ELU, a, col);
  memset (col, 0xff, restore_ops_conv2d_col_floats (c_in, 3, 1, 1, h, w) * 4);
  restore_ops_conv2d (ctx, input, c_in, h, w, weight, bias, c_out, 3, 1, 1,
                      RESTORE_ACT_ELU, b, col);
  g_assert_cmpmem (a, (gsize) c_out * h * w * 4, b, (gsize) c_out * h * w * 4);
  use_threads (previous);

  g_free (input);
  g_free (weight);
  g_free (bias);
  g_free (col);
  g_free (a);
  g_free (b);
  g_rand_free (rand);
}

/* im2col split over threads by input channel (uneven shares) */
static void
test_conv_threads (void)
{
  static const ConvCase cases[] =
  {
    { "s1", 7, 5, 96, 100, 3, 1, 1, RESTORE_ACT_RELU },
    { "s2", 11, 6, 128, 96, 3, 2, 1, RESTORE_ACT_NONE },
    { "d4", 5, 4, 120, 128, 3, 1, 4, RESTORE_ACT_ELU },
  };
  int previous = use_threads (3);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      /* each band holds more than 64 Ki floats, so the split happens */
      g_assert_cmpuint (restore_ops_conv2d_col_floats (cases[i].c_in, 3,
                                                       cases[i].stride,
                                                       cases[i].dilation,
                                                       cases[i].height,
                                                       cases[i].width),
                        >, 64 * 1024);
      test_conv (&cases[i]);
    }
  use_threads (previous);
  g_assert_cmpint (restore_context_get_threads (ctx), ==, previous);
}

/* Bands have a fixed size, so the result is the same bit for bit with 1
 * and with 3 threads, for the Winograd, im2col and 1x1 paths. */
static void
test_conv_thread_independent (void)
{
  static const ConvCase cases[] =
  {
    { "winograd", 16, 8, 70, 300, 3, 1, 1, RESTORE_ACT_LEAKY_RELU },
    { "im2col-s2", 12, 16, 90, 200, 3, 2, 1, RESTORE_ACT_RELU },
    { "1x1", 16, 3, 300, 300, 1, 1, 1, RESTORE_ACT_NONE },
  };
  GRand *rand = g_rand_new_with_seed (31);
  int    previous = restore_context_get_threads (ctx);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const ConvCase *c = &cases[i];
      int    h_out = restore_ops_conv_out_size (c->height, c->kernel, c->stride, c->dilation);
      int    w_out = restore_ops_conv_out_size (c->width, c->kernel, c->stride, c->dilation);
      gsize  n_out = (gsize) c->c_out * h_out * w_out;
      gsize  n_col = restore_ops_conv2d_col_floats (c->c_in, c->kernel, c->stride,
                                                     c->dilation, c->height, c->width);
      float *input = random_floats (rand, (gsize) c->c_in * c->height * c->width, 1.0);
      float *weight = random_floats (rand, (gsize) c->c_out * c->c_in * c->kernel * c->kernel, 0.3);
      float *bias = random_floats (rand, c->c_out, 0.3);
      float *col = n_col ? g_new (float, n_col) : NULL;
      float *a = g_new (float, n_out);
      float *b = g_new (float, n_out);

      use_threads (1);
      restore_ops_conv2d (ctx, input, c->c_in, c->height, c->width, weight, bias, c->c_out,
                          c->kernel, c->stride, c->dilation, c->act, a, col);
      use_threads (3);
      restore_ops_conv2d (ctx, input, c->c_in, c->height, c->width, weight, bias, c->c_out,
                          c->kernel, c->stride, c->dilation, c->act, b, col);
      g_assert_cmpmem (a, n_out * sizeof (float), b, n_out * sizeof (float));
      g_free (input);
      g_free (weight);
      g_free (bias);
      g_free (col);
      g_free (a);
      g_free (b);
    }
  use_threads (previous);
  g_rand_free (rand);
}

/* The im2col switch gives the same convolution by the other product, and
 * each context counts its own convolutions only. */
static void
test_conv_context (void)
{
  GRand          *rand = g_rand_new_with_seed (77);
  int             c_in = 16, c_out = 8, h = 40, w = 48;
  gsize           n_out = (gsize) c_out * h * w;
  float          *input = random_floats (rand, (gsize) c_in * h * w, 1.0);
  float          *weight = random_floats (rand, (gsize) c_out * c_in * 9, 0.3);
  float          *col = g_new (float, restore_ops_conv2d_col_floats (c_in, 3, 1, 1, h, w));
  float          *a = g_new (float, n_out);
  float          *b = g_new (float, n_out);
  RestoreContext *wino = restore_context_new (2);
  RestoreContext *plain = restore_context_new (1);
  RestoreConvShape shapes[4];
  double          macs = (double) c_out * c_in * 9 * h * w;

  restore_context_set_conv (plain, RESTORE_CONV_IM2COL);
  restore_ops_conv2d (wino, input, c_in, h, w, weight, NULL, c_out, 3, 1, 1,
                      RESTORE_ACT_NONE, a, col);
  restore_ops_conv2d (plain, input, c_in, h, w, weight, NULL, c_out, 3, 1, 1,
                      RESTORE_ACT_NONE, b, col);
  restore_ops_conv2d (plain, input, c_in, h, w, weight, NULL, c_out, 3, 1, 1,
                      RESTORE_ACT_NONE, b, col);
  g_assert_cmpfloat (normalised_error (a, b, n_out), <=, 1e-5);

  /* Winograd does fewer multiply-adds than the m k n of the product */
  g_assert_cmpint (restore_context_stats_get (wino, shapes, 4, NULL), ==, 1);
  g_assert_cmpuint (shapes[0].calls, ==, 1);
  g_assert_cmpint (shapes[0].m, ==, c_out);
  g_assert_cmpint (shapes[0].k, ==, c_in * 9);
  g_assert_cmpint (shapes[0].n, ==, h * w);
  g_assert_cmpfloat (shapes[0].macs_done, <, 0.5 * macs);
  g_assert_cmpint (restore_context_stats_get (plain, shapes, 4, NULL), ==, 1);
  g_assert_cmpuint (shapes[0].calls, ==, 2);
  g_assert_cmpfloat (shapes[0].macs_done, ==, 2 * macs);
  restore_context_stats_reset (plain);
  g_assert_cmpint (restore_context_stats_get (plain, NULL, 0, NULL), ==, 0);
  g_assert_cmpint (restore_context_stats_get (wino, NULL, 0, NULL), ==, 1);

  restore_context_free (wino);
  restore_context_free (plain);
  g_free (input);
  g_free (weight);
  g_free (col);
  g_free (a);
  g_free (b);
  g_rand_free (rand);
}

/* Not a pass/fail check: prints conv and raw sgemm GFLOP/s for a 3x3
 * 64->64 conv on 256x256 (run with -m perf). */
static void
test_perf (void)
{
  int     c = 64, h = 256, w = 256, reps = 5;
  GRand  *rand = g_rand_new_with_seed (5);
  float  *input = random_floats (rand, (gsize) c * h * w, 1.0);
  float  *weight = random_floats (rand, (gsize) c * c * 9, 0.1);
  float  *bias = random_floats (rand, c, 0.1);
  gsize   n_col = (gsize) c * 9 * h * w;
  float  *col = random_floats (rand, n_col, 1.0);
  float  *out = g_new (float, (gsize) c * h * w);
  double  flops = 2.0 * c * c * 9 * (double) h * w, t0, conv_s, gemm_s;
  gsize   conv_col = restore_ops_conv2d_col_floats (c, 3, 1, 1, h, w);
  float  *band = g_new (float, conv_col);

  if (! g_test_perf ())
    {
      g_test_skip ("run with -m perf");
      goto done;
    }
  for (int threads = 1; threads <= 2; threads++)
    {
      int previous = use_threads (threads);

      restore_ops_conv2d (ctx, input, c, h, w, weight, bias, c, 3, 1, 1,
                          RESTORE_ACT_RELU, out, band);
      t0 = g_get_monotonic_time ();
      for (int r = 0; r < reps; r++)
        restore_ops_conv2d (ctx, input, c, h, w, weight, bias, c, 3, 1, 1,
                            RESTORE_ACT_RELU, out, band);
      conv_s = (g_get_monotonic_time () - t0) / 1e6 / reps;
      t0 = g_get_monotonic_time ();
      for (int r = 0; r < reps; r++)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c, h * w,
                     c * 9, 1.0f, weight, c * 9, col, h * w, 0.0f, out, h * w);
      gemm_s = (g_get_monotonic_time () - t0) / 1e6 / reps;
      g_test_minimized_result (conv_s, "conv 3x3 64->64 256x256: %.2f GFLOP/s "
                               "(%.1f ms); sgemm same shape: %.2f GFLOP/s "
                               "(%.1f ms); ratio %.0f%%; threads %d",
                               flops / conv_s / 1e9, conv_s * 1e3,
                               flops / gemm_s / 1e9, gemm_s * 1e3,
                               100.0 * gemm_s / conv_s, threads);
      use_threads (previous);
    }
done:
  g_free (input);
  g_free (weight);
  g_free (bias);
  g_free (col);
  g_free (out);
  g_free (band);
  g_rand_free (rand);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  use_threads (1);

  for (gsize i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    g_test_add_data_func (conv_cases[i].path, &conv_cases[i], test_conv);
  g_test_add_func ("/core/conv/reference-by-hand", test_conv_reference_by_hand);
  g_test_add_func ("/core/conv/threads", test_conv_threads);
  g_test_add_func ("/core/conv/thread-independent", test_conv_thread_independent);
  g_test_add_func ("/core/conv/context", test_conv_context);
  g_test_add_func ("/core/ops/activations", test_activations);
  g_test_add_func ("/core/ops/gate", test_gate);
  g_test_add_func ("/core/ops/upsample2x", test_upsample);
  g_test_add_func ("/core/ops/push-pull", test_push_pull);
  g_test_add_func ("/core/ops/push-pull-harmonic", test_push_pull_harmonic);
  g_test_add_func ("/core/ops/determinism", test_determinism);
  g_test_add_func ("/core/ops/perf", test_perf);
  {
    int status = g_test_run ();

    restore_context_free (ctx);
    return status;
  }
}
