/* Tests of damage detection (core/restore-detect.c): the sensitivity
 * threshold, the selection (threshold, size filter, grow) on hand-made
 * probability maps, the tiled probability map of tests/data/tiny-detect.grst
 * against one whole-image window, argument checks, cancel and progress,
 * the parameter table, and the registry keeping detectors apart. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-detect.h"
#include "restore-params.h"
#include "restore-registry.h"
#include "restore-tile.h"

static RestoreModel *
load_data_model (const char *file)
{
  char         *path = g_test_build_filename (G_TEST_DIST, "data", file, NULL);
  GError       *error = NULL;
  RestoreModel *model = restore_model_load (path, &error);

  /* The models are part of the repository: a missing one is a failure. */
  g_assert_no_error (error);
  g_assert_nonnull (model);
  g_free (path);
  return model;
}

/* A photo-like picture with edges, texture and a bright line. */
static RestoreImage
make_image (int width, int height, int channels, int pad, guint32 seed)
{
  GRand       *rand = g_rand_new_with_seed (seed);
  RestoreImage img = { NULL, width, height, channels, (gsize) width * channels + pad };

  img.data = g_new (float, img.rowstride * height);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < channels; c++)
        {
          double v = 0.4 + 0.25 * sin (x * 0.05 + c) * cos (y * 0.07)
                     + (x > width / 3 ? 0.15 : 0.0)
                     + 0.05 * g_rand_double (rand)
                     + (abs (x - y / 2 - 40) < 2 ? 0.4 : 0.0);

          img.data[(gsize) y * img.rowstride + (gsize) x * channels + c] = (float) CLAMP (v, 0.0, 1.0);
        }
  g_rand_free (rand);
  return img;
}

static double
max_diff (const float *a, const float *b, gsize n)
{
  double m = 0.0;

  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs ((double) a[i] - b[i]));
  return m;
}

static void
test_threshold (void)
{
  double previous = 2.0;

  g_assert_cmpfloat_with_epsilon (restore_detect_threshold (0.5), 0.5, 1e-12);
  g_assert_cmpfloat (restore_detect_threshold (0.0), >, 0.99);
  g_assert_cmpfloat (restore_detect_threshold (1.0), <, 0.01);
  for (double s = 0.0; s <= 1.0; s += 0.05)
    {
      double t = restore_detect_threshold (s);

      g_assert_cmpfloat (t, <, previous);
      g_assert_cmpfloat (t, >, 0.0);
      g_assert_cmpfloat (t, <, 1.0);
      previous = t;
    }
}

static void
test_params (void)
{
  RestoreDetectOptions options;
  GError              *error = NULL;

  for (int i = 0; i < RESTORE_DETECT_PARAM_COUNT; i++)
    {
      const RestoreParamSpec *p = &restore_detect_params[i];

      g_assert_nonnull (p->name);
      g_assert_nonnull (strchr (p->label, '_'));
      g_assert_nonnull (p->blurb);
      g_assert_cmpint (p->type, !=, RESTORE_PARAM_TYPE_STRING);
      g_assert_cmpfloat (p->min, <, p->max);
      g_assert_cmpfloat (p->def, >=, p->min);
      g_assert_cmpfloat (p->def, <=, p->max);
      g_assert_true (restore_detect_param_check (i, p->def, NULL));
    }
  g_assert_cmpstr (restore_detect_params[RESTORE_DETECT_PARAM_SENSITIVITY].name, ==, "sensitivity");
  g_assert_cmpstr (restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].name, ==, "operation");

  memset (&options, 0x5a, sizeof options);
  restore_detect_options_init (&options);
  g_assert_cmpfloat (options.sensitivity, ==, restore_detect_params[RESTORE_DETECT_PARAM_SENSITIVITY].def);
  g_assert_cmpint (options.min_size, ==, (int) restore_detect_params[RESTORE_DETECT_PARAM_MIN_SIZE].def);
  g_assert_cmpint (options.max_size, ==, (int) restore_detect_params[RESTORE_DETECT_PARAM_MAX_SIZE].def);
  g_assert_cmpint (options.grow, ==, (int) restore_detect_params[RESTORE_DETECT_PARAM_GROW].def);
  g_assert_cmpfloat (options.fringe, ==, restore_detect_params[RESTORE_DETECT_PARAM_FRINGE].def);
  g_assert_cmpfloat (options.extend, ==, restore_detect_params[RESTORE_DETECT_PARAM_EXTEND].def);
  g_assert_cmpint (options.scale, ==, (int) restore_detect_params[RESTORE_DETECT_PARAM_SCALE].def);
  g_assert_cmpint (options.flips, ==, 0);
  g_assert_cmpint (options.n_threads, ==, 0);
  g_assert_null (options.progress);
  g_assert_null (options.cancel);

  g_assert_false (restore_detect_param_check (RESTORE_DETECT_PARAM_SENSITIVITY, 1.5, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "sensitivity must be between 0 and 1, got 1.5");
  g_clear_error (&error);
  g_assert_false (restore_detect_param_check (RESTORE_DETECT_PARAM_MIN_SIZE, 2.5, &error));
  g_assert_cmpstr (error->message, ==, "min-size must be a whole number between 1 and 256, got 2.5");
  g_clear_error (&error);
  g_assert_false (restore_detect_param_check (RESTORE_DETECT_PARAM_OPERATION, 2, &error));
  g_clear_error (&error);
  g_assert_false (restore_detect_param_check (RESTORE_DETECT_PARAM_GROW, NAN, &error));
  g_clear_error (&error);
  g_assert_false (restore_detect_param_check (RESTORE_DETECT_PARAM_FRINGE, -0.1, &error));
  g_assert_cmpstr (error->message, ==, "fringe must be between 0 and 1, got -0.1");
  g_clear_error (&error);
  g_assert_false (restore_detect_param_check (RESTORE_DETECT_PARAM_EXTEND, 0.0, &error));
  g_assert_cmpstr (error->message, ==, "extend must be between 0.001 and 1, got 0");
  g_clear_error (&error);
  /* the restore parameters are unchanged: the PDB's list depends on them */
  g_assert_cmpint (RESTORE_PARAM_COUNT, ==, 3);
}

#define SW 80
#define SH 60

/* Probabilities: background 0.3 with a dimmer spot, a 3 px wide vertical
 * line (x 10..12), a 1 px line (x 30), a 9x9 square (x 50..58, y 20..28),
 * all at 0.9. */
static float *
make_prob (void)
{
  float *p = g_new (float, SW * SH);

  for (int y = 0; y < SH; y++)
    for (int x = 0; x < SW; x++)
      {
        float v = 0.3f;

        if ((x >= 10 && x <= 12 && y >= 5 && y < 55) || (x == 30 && y >= 5 && y < 55)
            || (x >= 50 && x <= 58 && y >= 20 && y <= 28))
          v = 0.9f;
        if (x == 70 && y == 50)
          v = 0.45f;
        p[y * SW + x] = v;
      }
  return p;
}

static int
count_selected (const float *m, float at_least)
{
  int n = 0;

  for (int i = 0; i < SW * SH; i++)
    n += m[i] >= at_least;
  return n;
}

static void
test_select (void)
{
  RestoreDetectOptions options;
  float               *prob = make_prob ();
  float               *mask = g_new (float, SW * SH);
  GError              *error = NULL;
  int                  n;

  restore_detect_options_init (&options);
  options.grow = 0;
  options.min_size = 1;
  options.max_size = 48;
  options.extend = 1.0;   /* the threshold alone (test_select_extend) */
  n = restore_detect_select (prob, SW, SH, mask, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 3);
  /* grow 0: exactly the pixels at or above the threshold, values 0 or 1 */
  for (int i = 0; i < SW * SH; i++)
    {
      g_assert_true (mask[i] == 0.0f || mask[i] == 1.0f);
      g_assert_cmpint (mask[i] == 1.0f, ==, prob[i] >= 0.5f);
    }
  g_assert_cmpint (count_selected (mask, 1.0f), ==, 3 * 50 + 50 + 81);

  /* more sensitive: the 0.45 spot joins; less: nothing at 0.9 survives
   * a threshold of 0.99 */
  options.sensitivity = 0.55;   /* threshold 0.378 */
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 4);
  options.sensitivity = 0.0;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 0);
  g_assert_cmpint (count_selected (mask, 1e-6f), ==, 0);
  /* 0.3 is above 0.0067: one region over the whole image, 59 px wide
   * (30 px from the nearest border), too wide for max-size 48 */
  options.sensitivity = 1.0;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 0);
  options.max_size = 59;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 1);
  g_assert_cmpint (count_selected (mask, 1.0f), ==, SW * SH);
  options.max_size = 58;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 0);
  options.max_size = 48;
  options.sensitivity = 0.5;

  /* min-size 2 drops the 1 px line, max-size 5 drops the 9 px square */
  options.min_size = 2;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 2);
  g_assert_cmpfloat (mask[20 * SW + 30], ==, 0.0f);
  g_assert_cmpfloat (mask[20 * SW + 11], ==, 1.0f);
  options.min_size = 1;
  options.max_size = 5;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 2);
  g_assert_cmpfloat (mask[24 * SW + 54], ==, 0.0f);
  g_assert_cmpfloat (mask[20 * SW + 30], ==, 1.0f);
  options.max_size = 3;   /* the 3 px line has width 3: kept */
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 2);
  options.max_size = 2;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 1);
  options.max_size = 48;

  /* grow 2: full within 2 px, soft over the next one, 0 beyond */
  options.grow = 2;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 3);
  g_assert_cmpfloat (mask[30 * SW + 32], ==, 1.0f);   /* 2 px right of the thin line */
  g_assert_cmpfloat (mask[30 * SW + 33], ==, 0.0f);   /* 3 px: clamp (3 - 3) */
  g_assert_cmpfloat (mask[30 * SW + 7], ==, 0.0f);    /* 3 px left of the wide one */
  g_assert_cmpfloat (mask[30 * SW + 8], ==, 1.0f);
  /* diagonal from the square's corner (58, 28): distance sqrt (2^2 + 2^2) = 2.83 */
  g_assert_cmpfloat_with_epsilon (mask[30 * SW + 60], 3.0 - sqrt (8.0), 1e-5);

  /* in place: the mask may be the probability map */
  options.grow = 0;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, prob, &options, NULL), ==, 3);
  g_assert_cmpint (count_selected (prob, 1.0f), ==, 3 * 50 + 50 + 81);

  g_free (prob);
  g_free (mask);
}

/* The fringe: the margin reaches one pixel less far into the pixels
 * whose probability is below it. */
static void
test_select_fringe (void)
{
  RestoreDetectOptions options;
  float               *prob = g_new (float, SW * SH);
  float               *mask = g_new (float, SW * SH);

  for (int i = 0; i < SW * SH; i++)
    prob[i] = 0.001f;             /* clean: below the default fringe */
  prob[20 * SW + 20] = 0.9f;      /* an isolated speck */
  prob[20 * SW + 40] = 0.9f;      /* a speck with a faint edge on its right */
  prob[20 * SW + 41] = 0.1f;

  restore_detect_options_init (&options);
  g_assert_cmpint (options.grow, ==, 2);   /* the default, tested below */
  g_assert_cmpfloat (options.fringe, >, 0.001);
  g_assert_cmpfloat (options.fringe, <=, 0.1);
  options.grow = 1;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 2);
  /* grow 1: the isolated speck stays one pixel; the other gets its edge */
  g_assert_cmpint (count_selected (mask, 1e-6f), ==, 3);
  g_assert_cmpfloat (mask[20 * SW + 20], ==, 1.0f);
  g_assert_cmpfloat (mask[20 * SW + 21], ==, 0.0f);
  g_assert_cmpfloat (mask[21 * SW + 21], ==, 0.0f);
  g_assert_cmpfloat (mask[20 * SW + 41], ==, 1.0f);
  g_assert_cmpfloat (mask[20 * SW + 39], ==, 0.0f);

  /* the rest without hysteresis, which would make the faint edge pixel
   * a kept one (test_select_extend) */
  options.extend = 1.0;

  /* fringe 0: the same margin everywhere, 5 whole pixels and 4 diagonal
   * ones at 2 - sqrt 2 per speck */
  options.fringe = 0.0;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 2);
  g_assert_cmpint (count_selected (mask, 1.0f), ==, 2 * 5);
  g_assert_cmpint (count_selected (mask, 1e-6f), ==, 2 * 9);
  g_assert_cmpfloat_with_epsilon (mask[21 * SW + 21], 2.0 - sqrt (2.0), 1e-5);

  /* grow 2: clean pixels get a 1 px margin with its soft edge, the faint
   * edge pixel the full 2 px */
  options.fringe = 0.02;
  options.grow = 2;
  restore_detect_select (prob, SW, SH, mask, &options, NULL);
  g_assert_cmpfloat (mask[20 * SW + 21], ==, 1.0f);
  g_assert_cmpfloat_with_epsilon (mask[21 * SW + 21], 2.0 - sqrt (2.0), 1e-5);
  g_assert_cmpfloat (mask[20 * SW + 22], ==, 0.0f);
  g_assert_cmpfloat (mask[20 * SW + 38], ==, 0.0f);
  g_assert_cmpfloat (mask[20 * SW + 41], ==, 1.0f);
  g_assert_cmpfloat (mask[20 * SW + 42], ==, 0.0f);   /* clean, 2 px from the speck */

  /* a kept pixel below the fringe (sensitivity 1: threshold 0.0067) is
   * still whole with grow 0 */
  options.grow = 0;
  options.sensitivity = 1.0;
  options.fringe = 0.5;
  prob[10 * SW + 10] = 0.01f;
  restore_detect_select (prob, SW, SH, mask, &options, NULL);
  g_assert_cmpfloat (mask[10 * SW + 10], ==, 1.0f);
  g_assert_cmpfloat (mask[10 * SW + 11], ==, 0.0f);

  g_free (prob);
  g_free (mask);
}

/* Hysteresis: pixels at or above the extend probability join a defect
 * they touch through such pixels; faint marks touching nothing sure stay
 * out, and the size filter measures the extended region. */
static void
test_select_extend (void)
{
  RestoreDetectOptions options;
  float               *prob = g_new (float, SW * SH);
  float               *mask = g_new (float, SW * SH);
  float                extend = (float) restore_detect_params[RESTORE_DETECT_PARAM_EXTEND].def;

  /* the faint parts below (0.1) lie above the default extend */
  g_assert_cmpfloat (extend, <, 0.1f);
  g_assert_cmpfloat (extend, >, 0.004f);
  for (int i = 0; i < SW * SH; i++)
    prob[i] = 0.001f;
  for (int y = 5; y < 55; y++)
    {
      prob[y * SW + 20] = y < 10 ? 0.9f : 0.1f;   /* sure at one end only */
      prob[y * SW + 40] = 0.1f;                   /* faint, nothing sure */
    }
  prob[55 * SW + 19] = 0.1f;    /* joins diagonally */
  prob[7 * SW + 21] = 0.5f * extend;   /* touches the sure part, below extend */
  for (int y = 20; y < 29; y++) /* a sure speck in a faint 9 x 9 blob */
    for (int x = 60; x < 69; x++)
      prob[y * SW + x] = x == 64 && y == 24 ? 0.9f : 0.1f;

  restore_detect_options_init (&options);
  g_assert_cmpfloat ((float) options.extend, ==, extend);
  options.grow = 0;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 2);
  g_assert_cmpint (count_selected (mask, 1.0f), ==, 51 + 81);
  for (int y = 5; y < 55; y++)
    g_assert_cmpfloat (mask[y * SW + 20], ==, 1.0f);
  g_assert_cmpfloat (mask[55 * SW + 19], ==, 1.0f);
  g_assert_cmpfloat (mask[30 * SW + 40], ==, 0.0f);
  g_assert_cmpfloat (mask[7 * SW + 21], ==, 0.0f);

  /* the extended blob is 9 px wide: max-size 5 drops it */
  options.max_size = 5;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 1);
  g_assert_cmpfloat (mask[24 * SW + 64], ==, 0.0f);

  /* off (1) or at/above the threshold: the sure pixels alone */
  options.extend = 1.0;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 2);
  g_assert_cmpint (count_selected (mask, 1.0f), ==, 5 + 1);
  options.extend = 0.5;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 2);
  g_assert_cmpint (count_selected (mask, 1.0f), ==, 5 + 1);

  /* a quarter of the default takes in the pixel at half of it too */
  options.extend = 0.25 * extend;
  options.max_size = 48;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, mask, &options, NULL), ==, 2);
  g_assert_cmpint (count_selected (mask, 1.0f), ==, 52 + 81);
  g_assert_cmpfloat (mask[7 * SW + 21], ==, 1.0f);

  g_free (prob);
  g_free (mask);
}

static void
test_select_errors (void)
{
  RestoreDetectOptions options;
  float               *prob = make_prob ();
  gint                 cancel = 1;
  GError              *error = NULL;

  restore_detect_options_init (&options);
  options.min_size = 10;
  options.max_size = 5;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, prob, &options, &error), ==, -1);
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "The minimum size (10) is larger than the maximum size (5).");
  g_clear_error (&error);

  restore_detect_options_init (&options);
  options.sensitivity = -0.1;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, prob, &options, &error), ==, -1);
  g_assert_nonnull (strstr (error->message, "sensitivity"));
  g_clear_error (&error);

  restore_detect_options_init (&options);
  options.grow = 33;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, prob, &options, &error), ==, -1);
  g_assert_nonnull (strstr (error->message, "grow"));
  g_clear_error (&error);

  g_assert_cmpint (restore_detect_select (prob, 0, SH, prob, NULL, &error), ==, -1);
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_clear_error (&error);

  restore_detect_options_init (&options);
  options.cancel = &cancel;
  g_assert_cmpint (restore_detect_select (prob, SW, SH, prob, &options, &error), ==, -1);
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_CANCELLED);
  g_clear_error (&error);
  g_free (prob);
}

/* The full-image plan: windows aligned and no larger than the tile size,
 * and the blend weights sum to one at every pixel. */
static void
test_full_plan (void)
{
  static const int sizes[][3] = { { 1, 1, 0 }, { 37, 500, 0 }, { 700, 300, 128 },
                                  { 1000, 1000, 256 }, { 5000, 70, 0 } };

  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      int              w = sizes[s][0], h = sizes[s][1];
      RestoreTilePlan *plan = restore_tile_plan_new_full (w, h, 20, 3, sizes[s][2]);
      double          *sum = g_new0 (double, (gsize) w * h);
      float           *wx = g_new (float, w), *wy = g_new (float, h);

      g_assert_cmpint (plan->n_tiles, ==, plan->n_cols * plan->n_rows);
      for (int k = 0; k < plan->n_tiles; k++)
        {
          const RestoreTile *t = &plan->tiles[k];

          g_assert_cmpint (t->x % 8, ==, 0);
          g_assert_cmpint (t->width % 8, ==, 0);
          g_assert_cmpint (t->height % 8, ==, 0);
          g_assert_cmpint (t->width, <=, plan->tile_size);
          g_assert_cmpint (t->height, <=, plan->tile_size);
          g_assert_cmpint (t->x0, >=, t->x);
          g_assert_cmpint (t->x1, <=, t->x + t->width);
          restore_tile_get_weights (plan, t, wx, wy);
          for (int y = t->y0; y < t->y1; y++)
            for (int x = t->x0; x < t->x1; x++)
              sum[(gsize) y * w + x] += (double) wx[x - t->x0] * wy[y - t->y0];
        }
      for (gsize i = 0; i < (gsize) w * h; i++)
        g_assert_cmpfloat_with_epsilon (sum[i], 1.0, 1e-5);
      g_test_message ("%dx%d: %d tiles of at most %d", w, h, plan->n_tiles, plan->tile_size);
      restore_tile_plan_free (plan);
      g_free (sum);
      g_free (wx);
      g_free (wy);
    }
}

/* Tiles of 128 give the same probabilities as one window over the whole
 * image (the halo covers the receptive field). */
static void
test_tiled_equals_whole (void)
{
  RestoreModel        *model = load_data_model ("tiny-detect.grst");
  RestoreImage         img = make_image (300, 190, 3, 5, 11);
  RestoreDetectOptions options;
  float               *tiled = g_new (float, 300 * 190);
  float               *whole = g_new (float, 300 * 190);
  GError              *error = NULL;
  double               d, lo = 1.0, hi = 0.0;

  g_assert_true (restore_model_is_detector (model));
  restore_detect_options_init (&options);
  options.n_threads = 1;
  options.tile_size = 128;
  g_assert_true (restore_detect_probability (model, &img, tiled, &options, &error));
  g_assert_no_error (error);
  options.tile_size = 1024;
  g_assert_true (restore_detect_probability (model, &img, whole, &options, &error));
  g_assert_no_error (error);
  d = max_diff (tiled, whole, 300 * 190);
  for (int i = 0; i < 300 * 190; i++)
    {
      lo = MIN (lo, whole[i]);
      hi = MAX (hi, whole[i]);
    }
  g_test_message ("tiled vs whole max abs difference %.3g; p in [%.3f, %.3f]", d, lo, hi);
  g_assert_cmpfloat (d, <=, 1e-5);
  g_assert_cmpfloat (lo, >=, 0.0);
  g_assert_cmpfloat (hi, <=, 1.0);
  g_assert_cmpfloat (hi - lo, >, 0.01);   /* the network does respond to the picture */

  /* the whole run is the probability map, then the selection */
  {
    float *mask = g_new (float, 300 * 190);
    float *expect = g_new (float, 300 * 190);
    int    n, m;

    options.tile_size = 0;
    n = restore_detect_run (model, &img, mask, &options, &error);
    g_assert_no_error (error);
    m = restore_detect_select (whole, 300, 190, expect, &options, &error);
    g_assert_cmpint (n, ==, m);
    g_assert_cmpfloat (max_diff (mask, expect, 300 * 190), ==, 0.0);
    g_free (mask);
    g_free (expect);
  }
  restore_model_free (model);
  g_free (img.data);
  g_free (tiled);
  g_free (whole);
}

/* options.flips 2: the mean of the probabilities of the image and of its
 * left-right mirror image, mirrored back; 0 is the detector's own
 * restore.flips (1 for tiny-detect); 3 is refused. */
static void
test_flips (void)
{
  RestoreModel        *model = load_data_model ("tiny-detect.grst");
  RestoreImage         img = make_image (128, 96, 3, 0, 17);
  RestoreImage         mir = make_image (128, 96, 3, 0, 17);
  RestoreDetectOptions options;
  gsize                n = 128 * 96;
  float               *one = g_new (float, n), *two = g_new (float, n);
  float               *back = g_new (float, n), *expect = g_new (float, n);
  GError              *error = NULL;

  for (int y = 0; y < 96; y++)
    for (int x = 0; x < 128; x++)
      for (int c = 0; c < 3; c++)
        mir.data[(gsize) y * mir.rowstride + (gsize) (127 - x) * 3 + c] =
          img.data[(gsize) y * img.rowstride + (gsize) x * 3 + c];
  restore_detect_options_init (&options);
  options.n_threads = 1;
  options.scale = 1;   /* the automatic scale's max () is not linear */
  g_assert_true (restore_detect_probability (model, &img, one, &options, &error));
  options.flips = 1;
  g_assert_true (restore_detect_probability (model, &img, two, &options, &error));
  g_assert_cmpfloat (max_diff (one, two, n), ==, 0.0);
  g_assert_true (restore_detect_probability (model, &mir, back, &options, &error));
  for (int y = 0; y < 96; y++)
    for (int x = 0; x < 128; x++)
      expect[y * 128 + x] = 0.5f * (one[y * 128 + x] + back[y * 128 + 127 - x]);
  options.flips = 2;
  g_assert_true (restore_detect_probability (model, &img, two, &options, &error));
  g_assert_no_error (error);
  g_test_message ("flips 2: %.3g from the expected mean, %.3g from one pass",
                  max_diff (two, expect, n), max_diff (two, one, n));
  g_assert_cmpfloat (max_diff (two, expect, n), <=, 1e-5);
  g_assert_cmpfloat (max_diff (two, one, n), >, 1e-4);

  options.flips = 3;
  g_assert_false (restore_detect_probability (model, &img, two, &options, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "flips must be 0 (the model's own), 1, 2 or 4, got 3");
  g_clear_error (&error);
  /* the run settings restoration shares (restore_check_run_settings) */
  options.flips = 0;
  options.n_threads = -1;
  g_assert_false (restore_detect_probability (model, &img, two, &options, &error));
  g_assert_cmpstr (error->message, ==, "the number of threads must be 0 (all cores) or more, got -1");
  g_clear_error (&error);
  options.n_threads = 1;
  options.tile_size = -2;
  g_assert_false (restore_detect_probability (model, &img, two, &options, &error));
  g_assert_cmpstr (error->message, ==, "the tile size must be 0 (default) or more, got -2");
  g_clear_error (&error);

  restore_model_free (model);
  g_free (img.data);
  g_free (mir.data);
  g_free (one);
  g_free (two);
  g_free (back);
  g_free (expect);
}

/* scale f: the network sees the picture reduced f times (block means,
 * the last block of a row or column smaller) and its probabilities are
 * enlarged bilinearly, pixel centres aligned, edges clamped. */
static void
test_scale (void)
{
  RestoreModel        *model = load_data_model ("tiny-detect.grst");
  /* 131 x 97 with padded rows: neither side a multiple of 2 or 3 */
  RestoreImage         img = make_image (131, 97, 3, 5, 23);
  RestoreDetectOptions options;
  gsize                n = 131 * 97;
  float               *got = g_new (float, n), *full = g_new (float, n);
  GError              *error = NULL;

  restore_detect_options_init (&options);
  options.scale = 1;
  options.n_threads = 1;
  g_assert_true (restore_detect_probability (model, &img, full, &options, &error));
  for (int f = 2; f <= 3; f++)
    {
      int          sw = (131 + f - 1) / f, sh = (97 + f - 1) / f;
      RestoreImage small = { g_new0 (float, (gsize) sw * sh * 3), sw, sh, 3, (gsize) sw * 3 };
      float       *sp = g_new (float, (gsize) sw * sh);
      double       worst = 0.0;

      for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++)
          for (int c = 0; c < 3; c++)
            {
              double sum = 0.0;
              int    count = 0;

              for (int yy = y * f; yy < MIN (y * f + f, 97); yy++)
                for (int xx = x * f; xx < MIN (x * f + f, 131); xx++, count++)
                  sum += img.data[(gsize) yy * img.rowstride + (gsize) xx * 3 + c];
              small.data[(gsize) y * small.rowstride + (gsize) x * 3 + c] = (float) (sum / count);
            }
      options.scale = 1;
      g_assert_true (restore_detect_probability (model, &small, sp, &options, &error));
      options.scale = f;
      g_assert_true (restore_detect_probability (model, &img, got, &options, &error));
      g_assert_no_error (error);
      for (int y = 0; y < 97; y++)
        for (int x = 0; x < 131; x++)
          {
            double fy = CLAMP ((y + 0.5) / f - 0.5, 0.0, sh - 1.0);
            double fx = CLAMP ((x + 0.5) / f - 0.5, 0.0, sw - 1.0);
            int    y0 = (int) floor (fy), x0 = (int) floor (fx);
            int    y1 = MIN (y0 + 1, sh - 1), x1 = MIN (x0 + 1, sw - 1);
            double ay = fy - y0, ax = fx - x0;
            double e = (1 - ay) * ((1 - ax) * sp[y0 * sw + x0] + ax * sp[y0 * sw + x1])
                       + ay * ((1 - ax) * sp[y1 * sw + x0] + ax * sp[y1 * sw + x1]);

            worst = MAX (worst, fabs (e - got[y * 131 + x]));
          }
      g_test_message ("scale %d: %.3g from the enlarged reduced map, %.3g from full "
                      "resolution", f, worst, max_diff (got, full, n));
      g_assert_cmpfloat (worst, <=, 1e-5);
      g_assert_cmpfloat (max_diff (got, full, n), >, 1e-3);
      g_free (small.data);
      g_free (sp);
    }

  options.scale = 9;
  g_assert_false (restore_detect_probability (model, &img, got, &options, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "scale must be a whole number between 0 and 8, got 9");
  g_clear_error (&error);

  restore_model_free (model);
  g_free (img.data);
  g_free (got);
  g_free (full);
}

/* Gray is read as three equal channels; alpha is ignored. */
static void
test_gray_and_alpha (void)
{
  RestoreModel *model = load_data_model ("tiny-detect.grst");
  RestoreImage  gray = make_image (90, 70, 1, 0, 3);
  RestoreImage  rgb = { g_new (float, 90 * 70 * 3), 90, 70, 3, 90 * 3 };
  RestoreImage  ga = { g_new (float, 90 * 70 * 2), 90, 70, 2, 90 * 2 };
  float        *a = g_new (float, 90 * 70), *b = g_new (float, 90 * 70), *c = g_new (float, 90 * 70);
  GError       *error = NULL;

  for (int i = 0; i < 90 * 70; i++)
    {
      rgb.data[3 * i] = rgb.data[3 * i + 1] = rgb.data[3 * i + 2] = gray.data[i];
      ga.data[2 * i] = gray.data[i];
      ga.data[2 * i + 1] = (float) (i % 7) / 6.0f;
    }
  g_assert_true (restore_detect_probability (model, &gray, a, NULL, &error));
  g_assert_true (restore_detect_probability (model, &rgb, b, NULL, &error));
  g_assert_true (restore_detect_probability (model, &ga, c, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (max_diff (a, b, 90 * 70), ==, 0.0);
  g_assert_cmpfloat (max_diff (a, c, 90 * 70), ==, 0.0);
  restore_model_free (model);
  g_free (gray.data);
  g_free (rgb.data);
  g_free (ga.data);
  g_free (a);
  g_free (b);
  g_free (c);
}

static void
record_progress (double fraction, gpointer data)
{
  g_array_append_val ((GArray *) data, fraction);
}

static void
cancel_on_progress (double fraction, gpointer data)
{
  if (fraction > 0.0)
    g_atomic_int_set ((gint *) data, 1);
}

static void
test_progress_and_cancel (void)
{
  RestoreModel        *model = load_data_model ("tiny-detect.grst");
  RestoreImage         img = make_image (400, 300, 3, 0, 5);
  RestoreDetectOptions options;
  GArray              *seen = g_array_new (FALSE, FALSE, sizeof (double));
  float               *mask = g_new (float, 400 * 300);
  GError              *error = NULL;
  gint                 cancel = 0;

  restore_detect_options_init (&options);
  options.tile_size = 128;
  options.progress = record_progress;
  options.progress_data = seen;
  g_assert_cmpint (restore_detect_run (model, &img, mask, &options, &error), >=, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (seen->len, >, 3);
  g_assert_cmpfloat (g_array_index (seen, double, 0), ==, 0.0);
  g_assert_cmpfloat (g_array_index (seen, double, seen->len - 1), ==, 1.0);
  for (guint i = 1; i < seen->len; i++)
    g_assert_cmpfloat (g_array_index (seen, double, i), >=, g_array_index (seen, double, i - 1));

  /* cancelled after the first tile */
  options.progress = cancel_on_progress;
  options.progress_data = &cancel;
  options.cancel = &cancel;
  g_assert_cmpint (restore_detect_run (model, &img, mask, &options, &error), ==, -1);
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_CANCELLED);
  g_clear_error (&error);

  g_array_unref (seen);
  g_free (mask);
  g_free (img.data);
  restore_model_free (model);
}

/* scale 0 (automatic): the full-size map where the picture is sharp, the
 * larger of it and the half-size map where the picture is soft, measured
 * locally: the left half of this picture is pixel noise, the right half a
 * slow wave. */
static void
test_auto_scale (void)
{
  RestoreModel        *model = load_data_model ("tiny-detect.grst");
  int                  w = 416, h = 120;
  RestoreImage         img = { g_new (float, (gsize) w * h * 3), w, h, 3, (gsize) w * 3 };
  RestoreDetectOptions options;
  gsize                n = (gsize) w * h;
  float               *p0 = g_new (float, n), *p1 = g_new (float, n), *p2 = g_new (float, n);
  GArray              *seen = g_array_new (FALSE, FALSE, sizeof (double));
  GRand               *rand = g_rand_new_with_seed (11);
  GError              *error = NULL;
  double               sharp_diff = 0.0, soft_diff = 0.0, soft_gain = 0.0;
  guint                tiles_full, tiles_half;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        double v = x < w / 2 ? g_rand_double_range (rand, 0.2, 0.8)
                             : 0.5 + 0.3 * sin (x * 0.08) * cos (y * 0.06);

        for (int c = 0; c < 3; c++)
          img.data[((gsize) y * w + x) * 3 + c] = (float) v;
      }
  restore_detect_options_init (&options);
  options.n_threads = 1;
  /* small tiles, so that the half-size pass can leave out the tiles that
   * only feed the sharp half; the same tiles in all three runs */
  options.tile_size = 32;
  options.progress = record_progress;
  options.progress_data = seen;
  options.scale = 1;
  g_assert_true (restore_detect_probability (model, &img, p1, &options, &error));
  tiles_full = seen->len - 1;
  g_array_set_size (seen, 0);
  options.scale = 2;
  g_assert_true (restore_detect_probability (model, &img, p2, &options, &error));
  tiles_half = seen->len - 1;
  g_array_set_size (seen, 0);
  options.scale = 0;
  g_assert_true (restore_detect_probability (model, &img, p0, &options, &error));
  g_assert_no_error (error);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gsize i = (gsize) y * w + x;
        float hi = MAX (p1[i], p2[i]);

        /* never below the full-size map, never above the larger of both */
        g_assert_cmpfloat (p0[i], >=, p1[i]);
        g_assert_cmpfloat (p0[i], <=, hi + 1e-6f);
        /* the softness windows (40 px) of these columns lie in one half */
        if (x < w / 2 - 56)
          sharp_diff = MAX (sharp_diff, fabs (p0[i] - p1[i]));
        if (x >= w / 2 + 40)
          {
            soft_diff = MAX (soft_diff, fabs (p0[i] - hi));
            soft_gain = MAX (soft_gain, hi - p1[i]);
          }
      }
  g_test_message ("sharp half: %.3g from the full-size map; soft half: %.3g from "
                  "the larger of both, which is up to %.3g above the full-size map",
                  sharp_diff, soft_diff, soft_gain);
  g_assert_cmpfloat (sharp_diff, ==, 0.0);
  g_assert_cmpfloat (soft_diff, <=, 1e-6);
  g_assert_cmpfloat (soft_gain, >, 1e-3);   /* the half-size map made a difference */
  /* one progress call a tile and one at the start of each pass: fewer
   * tiles at half size than --scale 2 runs, but some */
  g_test_message ("tiles: %u at full size, %u at half size; the automatic scale ran %u",
                  tiles_full, tiles_half, seen->len - 2);
  g_assert_cmpuint (tiles_full, >, 1);
  g_assert_cmpuint (seen->len - 2, <, tiles_full + tiles_half);
  g_assert_cmpuint (seen->len - 2, >, tiles_full);

  /* progress: both passes, in order, to 1 */
  g_assert_cmpuint (seen->len, >, 2);
  g_assert_cmpfloat (g_array_index (seen, double, 0), ==, 0.0);
  g_assert_cmpfloat (g_array_index (seen, double, seen->len - 1), ==, 1.0);
  for (guint i = 1; i < seen->len; i++)
    g_assert_cmpfloat (g_array_index (seen, double, i), >=, g_array_index (seen, double, i - 1));

  /* stripes (each column its own random gray): sharp all over, the
   * full-size map alone (the half-size pass is skipped), progress to 1 */
  for (int x = 0; x < w; x++)
    {
      float v = (float) g_rand_double_range (rand, 0.2, 0.8);

      for (int y = 0; y < h; y++)
        for (int c = 0; c < 3; c++)
          img.data[((gsize) y * w + x) * 3 + c] = v;
    }
  options.scale = 1;
  options.progress = NULL;
  g_assert_true (restore_detect_probability (model, &img, p1, &options, &error));
  options.scale = 0;
  options.progress = record_progress;
  g_array_set_size (seen, 0);
  g_assert_true (restore_detect_probability (model, &img, p0, &options, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (max_diff (p0, p1, n), ==, 0.0);
  g_assert_cmpfloat (g_array_index (seen, double, seen->len - 1), ==, 1.0);

  /* a flat quarter and a wave, with white noise (sigma 0.01, 2.6 / 255)
   * and then with grain (white noise of sigma 0.04 averaged over 3 x 3
   * pixels, sigma 0.013, 3.4 / 255): the wave is still soft, as the noise's share of
   * the energies, measured in the flat quarter, is taken off (without that
   * the wave counts as sharp in both: bench/detect-scale.py's raw rule;
   * with a white-noise estimate instead of the floors, sharp with grain) */
  for (int pass = 0; pass < 2; pass++)
    {
      float *noise = g_new (float, n);

      for (gsize i = 0; i < n; i++)
        noise[i] = (float) (g_rand_double (rand) + g_rand_double (rand)
                            + g_rand_double (rand) - 1.5);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            double v = x < w / 4 ? 0.5 : 0.5 + 0.3 * sin (x * 0.2) * cos (y * 0.17);
            double e = 0.0;

            if (pass == 0)
              e = 0.02 * noise[(gsize) y * w + x];
            else
              for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                  e += 0.08 / 9.0 * noise[(gsize) CLAMP (y + dy, 0, h - 1) * w
                                          + CLAMP (x + dx, 0, w - 1)];
            for (int c = 0; c < 3; c++)
              img.data[((gsize) y * w + x) * 3 + c] = (float) (v + e);
          }
      g_free (noise);
      options.progress = NULL;
      options.scale = 1;
      g_assert_true (restore_detect_probability (model, &img, p1, &options, &error));
      options.scale = 2;
      g_assert_true (restore_detect_probability (model, &img, p2, &options, &error));
      options.scale = 0;
      g_assert_true (restore_detect_probability (model, &img, p0, &options, &error));
      soft_diff = soft_gain = 0.0;
      for (int y = 0; y < h; y++)
        for (int x = w / 4 + 40; x < w; x++)
          {
            gsize i = (gsize) y * w + x;

            soft_diff = MAX (soft_diff, fabs (p0[i] - MAX (p1[i], p2[i])));
            soft_gain = MAX (soft_gain, MAX (p1[i], p2[i]) - p1[i]);
          }
      g_test_message ("wave with %s: %.3g from the larger of both (up to %.3g above "
                      "the full-size map)", pass == 0 ? "white noise" : "grain",
                      soft_diff, soft_gain);
      g_assert_cmpfloat (soft_diff, <=, 1e-6);
      g_assert_cmpfloat (soft_gain, >, 1e-3);
    }

  g_array_unref (seen);
  g_rand_free (rand);
  restore_model_free (model);
  g_free (img.data);
  g_free (p0);
  g_free (p1);
  g_free (p2);
}

/* A restoration model is not a detector and a detector restores nothing. */
static void
test_wrong_task (void)
{
  RestoreModel *plain = load_data_model ("tiny-plain.grst");
  RestoreModel *detector = load_data_model ("tiny-detect.grst");
  RestoreImage  img = make_image (64, 64, 3, 0, 1);
  RestoreImage  dst = { g_new (float, 64 * 64 * 3), 64, 64, 3, 64 * 3 };
  float        *m = g_new0 (float, 64 * 64);
  RestoreMask   mask = { m, 64, 64, 64 };
  GError       *error = NULL;

  g_assert_false (restore_model_is_detector (plain));
  g_assert_false (restore_detect_probability (plain, &img, m, NULL, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "model 'tiny-plain' is not a damage detector (restore.task is not 'detect')");
  g_clear_error (&error);

  m[10 * 64 + 10] = 1.0f;
  g_assert_false (restore_run (&detector, 1, &img, &mask, &dst, NULL, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "is a damage detector"));
  g_clear_error (&error);

  img.channels = 5;
  g_assert_false (restore_detect_probability (detector, &img, m, NULL, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_clear_error (&error);

  restore_model_free (plain);
  restore_model_free (detector);
  g_free (img.data);
  g_free (dst.data);
  g_free (m);
}

static void
test_registry (void)
{
  char            *data_dir = g_test_build_filename (G_TEST_DIST, "data", NULL);
  const char      *dirs[] = { data_dir, NULL };
  char            *path = g_build_filename (data_dir, "tiny-detect.grst", NULL);
  RestoreRegistry *registry;
  RestoreModel    *model, **models = NULL;
  GError          *error = NULL;

  registry = restore_registry_new (dirs);
  g_assert_cmpint (restore_registry_count_detectors (registry), ==, 1);
  g_assert_cmpstr (restore_registry_get_detector (registry, 0)->name, ==, "tiny-detect");
  for (int i = 0; i < restore_registry_count (registry); i++)
    g_assert_cmpstr (restore_registry_get (registry, i)->name, !=, "tiny-detect");
  g_assert_null (restore_registry_lookup (registry, "tiny-detect"));

  model = restore_registry_load_detector (registry, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (restore_model_get_name (model), ==, "tiny-detect");
  restore_model_free (model);
  model = restore_registry_load_detector (registry, path, &error);
  g_assert_no_error (error);
  restore_model_free (model);

  g_assert_null (restore_registry_load_detector (registry, "tiny-plain", &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL);
  g_assert_cmpstr (error->message, ==, "'tiny-plain' is a restoration model, not a damage detector");
  g_clear_error (&error);
  g_assert_null (restore_registry_load_detector (registry, "nothing", &error));
  g_assert_cmpstr (error->message, ==, "unknown damage detector 'nothing'; installed detectors: tiny-detect");
  g_clear_error (&error);

  /* automatic restoring never picks the detector; by name or path it is refused */
  {
    int n = restore_registry_load (registry, "", &models, &error);

    g_assert_no_error (error);
    g_assert_cmpint (n, >=, 1);
    for (int i = 0; i < n; i++)
      {
        g_assert_false (restore_model_is_detector (models[i]));
        restore_model_free (models[i]);
      }
    g_clear_pointer (&models, g_free);
  }
  g_assert_cmpint (restore_registry_load (registry, "tiny-detect", &models, &error), ==, 0);
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL);
  g_assert_cmpstr (error->message, ==, "'tiny-detect' is a damage detector, not a restoration model");
  g_clear_error (&error);
  g_assert_cmpint (restore_registry_load (registry, path, &models, &error), ==, 0);
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL);
  g_clear_error (&error);
  restore_registry_free (registry);

  /* no detector installed */
  registry = restore_registry_new (NULL);
  g_assert_null (restore_registry_load_detector (registry, "", &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL);
  g_assert_nonnull (strstr (error->message, "no damage detector installed"));
  g_clear_error (&error);
  restore_registry_free (registry);
  g_free (path);
  g_free (data_dir);
}

/* Samples that are not finite numbers (NaN, infinities: a float image
 * can hold them) neither crash nor spread: at every scale the map is a
 * probability everywhere, 1 on the pixels that hold one (in any colour
 * channel), and the selection takes them in. */
static void
test_non_finite (void)
{
  RestoreModel *model = load_data_model ("tiny-detect.grst");
  const int     w = 96, h = 80;
  const int     bad[][3] = { { 10, 12, 0 }, { 50, 40, 1 }, { 70, 20, 2 }, { 30, 60, 0 } };
  const float   values[] = { NAN, INFINITY, -INFINITY, NAN };

  for (int channels = 1; channels <= 4; channels++)
    for (int scale = 0; scale <= 2; scale++)
      {
        RestoreImage         img = make_image (w, h, channels, 0, 5);
        RestoreDetectOptions options;
        gsize                n = (gsize) w * h;
        float               *p = g_new (float, n);
        GError              *error = NULL;
        int                  regions;

        for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
          {
            int c = channels >= 3 ? bad[k][2] : 0;

            img.data[((gsize) bad[k][1] * w + bad[k][0]) * channels + c] = values[k];
          }
        /* a whole row of NaN: its blocks' means too */
        for (int x = 0; x < w; x++)
          img.data[((gsize) 70 * w + x) * channels] = NAN;
        restore_detect_options_init (&options);
        options.n_threads = 1;
        options.scale = scale;
        g_assert_true (restore_detect_probability (model, &img, p, &options, &error));
        g_assert_no_error (error);
        for (gsize i = 0; i < n; i++)
          if (!(p[i] >= 0.0f && p[i] <= 1.0f))
            g_error ("channels %d scale %d: p[%" G_GSIZE_FORMAT "] = %g", channels, scale,
                     i, p[i]);
        for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
          g_assert_cmpfloat (p[(gsize) bad[k][1] * w + bad[k][0]], ==, 1.0f);
        for (int x = 0; x < w; x++)
          g_assert_cmpfloat (p[(gsize) 70 * w + x], ==, 1.0f);

        options.max_size = 100;
        regions = restore_detect_run (model, &img, p, &options, &error);
        g_assert_no_error (error);
        g_assert_cmpint (regions, >, 0);
        for (gsize i = 0; i < n; i++)
          g_assert_true (p[i] >= 0.0f && p[i] <= 1.0f);
        for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
          g_assert_cmpfloat (p[(gsize) bad[k][1] * w + bad[k][0]], ==, 1.0f);
        g_free (p);
        g_free (img.data);
      }
  restore_model_free (model);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/detect/threshold", test_threshold);
  g_test_add_func ("/core/detect/params", test_params);
  g_test_add_func ("/core/detect/select", test_select);
  g_test_add_func ("/core/detect/select-fringe", test_select_fringe);
  g_test_add_func ("/core/detect/select-extend", test_select_extend);
  g_test_add_func ("/core/detect/flips", test_flips);
  g_test_add_func ("/core/detect/scale", test_scale);
  g_test_add_func ("/core/detect/auto-scale", test_auto_scale);
  g_test_add_func ("/core/detect/select-errors", test_select_errors);
  g_test_add_func ("/core/detect/full-plan", test_full_plan);
  g_test_add_func ("/core/detect/tiled-equals-whole", test_tiled_equals_whole);
  g_test_add_func ("/core/detect/gray-and-alpha", test_gray_and_alpha);
  g_test_add_func ("/core/detect/progress-and-cancel", test_progress_and_cancel);
  g_test_add_func ("/core/detect/wrong-task", test_wrong_task);
  g_test_add_func ("/core/detect/registry", test_registry);
  g_test_add_func ("/core/detect/non-finite", test_non_finite);
  return g_test_run ();
}
