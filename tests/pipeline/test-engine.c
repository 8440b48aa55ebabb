/* Tests of restore_run (core/restore-engine.c) with real model files:
 * tests/data/tiny-plain.grst (a random-init network from the recipe) and
 * toy models written by toy-model.h. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-engine.h"
#include "toy-model.h"

#define W 150
#define H 97

/* Time limits are loose (the machine may be busy) and looser still under
 * the sanitizers; they catch work that scales with the image, which would
 * take tens of seconds here. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define TIME_FACTOR 5.0
#else
#define TIME_FACTOR 1.0
#endif

static RestoreModel *
load_tiny (void)
{
  char         *path = g_test_build_filename (G_TEST_DIST, "data", "tiny-plain.grst", NULL);
  GError       *error = NULL;
  RestoreModel *model = restore_model_load (path, &error);

  /* The model is part of the repository: a missing one is a failure. */
  g_assert_no_error (error);
  g_assert_nonnull (model);
  g_free (path);
  return model;
}

static RestoreModel *
load_toy (const char *name, double max_radius, float value)
{
  gsize         size;
  guint8       *bytes = toy_model_bytes (name, max_radius, value, 12, &size);
  GError       *error = NULL;
  RestoreModel *model = restore_model_load_from_data (bytes, size, &error);

  g_assert_no_error (error);
  g_free (bytes);
  return model;
}

/* A smooth image with texture, @channels interleaved, row stride
 * width * channels + @pad (values in the padding are garbage). */
static RestoreImage
make_image (int channels, int pad, guint32 seed)
{
  GRand       *rand = g_rand_new_with_seed (seed);
  RestoreImage img = { NULL, W, H, channels, (gsize) W * channels + pad };
  int          x, y, c;

  img.data = g_new (float, img.rowstride * H);
  for (y = 0; y < H; y++)
    for (x = 0; x < (int) img.rowstride; x++)
      img.data[y * img.rowstride + x] = 12345.0f;
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      for (c = 0; c < channels; c++)
        {
          double v = 0.5 + 0.3 * sin (x * 0.07 + c) * cos (y * 0.05)
                     + 0.05 * (g_rand_double (rand) - 0.5);

          if ((channels == 2 || channels == 4) && c == channels - 1)
            v = 0.4 + 0.4 * x / W;   /* a ramp of alpha */
          img.data[y * img.rowstride + x * channels + c] = (float) v;
        }
  g_rand_free (rand);
  return img;
}

static RestoreImage
make_dst (int channels, int pad)
{
  RestoreImage img = { NULL, W, H, channels, (gsize) W * channels + pad };

  img.data = g_new (float, img.rowstride * H);
  memset (img.data, 0xff, sizeof (float) * img.rowstride * H);   /* NaNs */
  return img;
}

/* A scratch, a blob, a soft-edged spot and a pixel in a corner. */
static float *
make_mask (gsize *rowstride)
{
  float *m;
  int    x, y;

  *rowstride = W + 5;
  m = g_new0 (float, *rowstride * H);
  for (x = 10; x < 140; x++)
    for (y = 20 + x / 5; y < 22 + x / 5; y++)
      m[y * *rowstride + x] = 1.0f;
  for (y = 50; y < 80; y++)
    for (x = 90; x < 120; x++)
      m[y * *rowstride + x] = 1.0f;
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      {
        double d = hypot (x - 40, y - 70);

        if (d < 10)
          m[y * *rowstride + x] = (float) MIN (1.0, (10 - d) / 5);
      }
  m[(H - 1) * *rowstride + W - 1] = 1.0f;
  return m;
}

static void
assert_outside_identical (const RestoreImage *src, const RestoreImage *dst,
                          const RestoreMask *mask)
{
  int x, y, changed = 0, inside = 0;

  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      {
        const float *s = src->data + y * src->rowstride + x * src->channels;
        const float *d = dst->data + y * dst->rowstride + x * dst->channels;
        int          c;

        if (mask->data[y * mask->rowstride + x] == 0.0f)
          g_assert_true (memcmp (s, d, sizeof (float) * src->channels) == 0);
        else
          {
            inside++;
            for (c = 0; c < src->channels; c++)
              {
                g_assert_true (isfinite (d[c]));
                g_assert_cmpfloat (d[c], >=, 0.0f);
                g_assert_cmpfloat (d[c], <=, 1.0f);
              }
            changed += memcmp (s, d, sizeof (float) * src->channels) != 0;
          }
      }
  /* The restoration did something inside the mask. */
  g_assert_cmpint (changed, >, inside / 2);
}

static void
test_engine_identical_outside (void)
{
  RestoreModel *model = load_tiny ();
  gsize         mstride;
  float        *m = make_mask (&mstride);
  RestoreMask   mask = { m, W, H, mstride };
  int           channels, pad;

  for (channels = 1; channels <= 4; channels++)
    for (pad = 0; pad <= 3; pad += 3)
      {
        RestoreImage   src = make_image (channels, pad, channels);
        RestoreImage   dst = make_dst (channels, pad ? 1 : 0);
        RestoreOptions options;
        GError        *error = NULL;

        restore_options_init (&options);
        options.tile_size = 64;   /* several tiles */
        options.denoise = pad ? 0.5 : 0.0;
        options.sharpen = pad ? 0.5 : 0.0;
        g_assert_true (restore_run (&model, 1, &src, &mask, &dst, &options, &error));
        g_assert_no_error (error);
        assert_outside_identical (&src, &dst, &mask);
        g_free (src.data);
        g_free (dst.data);
      }
  g_free (m);
  restore_model_free (model);
}

/* Samples that are not finite numbers (a float image can hold NaN and
 * infinities), inside the mask, on its soft edge and just outside it,
 * with the post-processing on and several tiles: every pixel the mask
 * restores comes out finite in 0..1, every other pixel exactly as it was
 * (NaN included). */
static void
test_engine_non_finite (void)
{
  RestoreModel *model = load_tiny ();
  gsize         mstride;
  float        *m = make_mask (&mstride);
  RestoreMask   mask = { m, W, H, mstride };
  /* x, y: in the blob, on the spot's soft edge, beside the blob, in the
   * scratch, beside the corner pixel */
  const int     at[][2] = { { 100, 60 }, { 40, 62 }, { 89, 60 }, { 50, 31 }, { W - 2, H - 1 },
                            { 119, 79 }, { 120, 79 } };
  const float   values[] = { NAN, INFINITY, NAN, -INFINITY, NAN, INFINITY, -NAN };

  g_assert_cmpfloat (m[62 * mstride + 40], >, 0.0f);
  g_assert_cmpfloat (m[62 * mstride + 40], <, 1.0f);
  g_assert_cmpfloat (m[60 * mstride + 89], ==, 0.0f);
  for (int channels = 1; channels <= 4; channels++)
    {
      RestoreImage   src = make_image (channels, 0, channels);
      RestoreImage   dst = make_dst (channels, 0);
      RestoreOptions options;
      GError        *error = NULL;

      for (guint k = 0; k < G_N_ELEMENTS (at); k++)
        for (int c = 0; c < channels; c++)
          if (c == (int) k % channels || k == 0)
            src.data[at[k][1] * src.rowstride + at[k][0] * channels + c] = values[k];
      restore_options_init (&options);
      options.tile_size = 64;   /* several tiles, blended */
      options.denoise = 0.5;
      options.sharpen = 0.5;
      g_assert_true (restore_run (&model, 1, &src, &mask, &dst, &options, &error));
      g_assert_no_error (error);
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            const float *sp = src.data + y * src.rowstride + x * channels;
            const float *dp = dst.data + y * dst.rowstride + x * channels;

            if (m[y * mstride + x] == 0.0f)
              g_assert_true (memcmp (sp, dp, sizeof (float) * channels) == 0);
            else
              for (int c = 0; c < channels; c++)
                if (!(dp[c] >= 0.0f && dp[c] <= 1.0f))
                  g_error ("%d channels: pixel %d,%d channel %d is %g", channels, x, y, c,
                           dp[c]);
          }
      g_free (src.data);
      g_free (dst.data);
    }
  g_free (m);
  restore_model_free (model);
}

static void
run_ok (RestoreModel **models, int n, RestoreImage *src, RestoreMask *mask,
        RestoreImage *dst, int tile_size)
{
  RestoreOptions options;
  GError        *error = NULL;

  restore_options_init (&options);
  options.tile_size = tile_size;
  options.grain = 0.0;   /* the composite itself; grain: test-grain.c, */
  options.texture = 0.0; /* texture: test-texture.c */
  g_assert_true (restore_run (models, n, src, mask, dst, &options, &error));
  g_assert_no_error (error);
}

/* restore_run with the model's own settings but @flips mirror images (0:
 * the model's restore.flips) and no grain. */
static void
run_flips (RestoreModel *model, RestoreImage *src, RestoreMask *mask, RestoreImage *dst,
           int flips)
{
  RestoreOptions options;
  GError        *error = NULL;

  restore_options_init (&options);
  options.flips = flips;
  options.grain = 0.0;
  g_assert_true (restore_run (&model, 1, src, mask, dst, &options, &error));
  g_assert_no_error (error);
}

static void
test_engine_gray (void)
{
  RestoreModel *model = load_tiny ();
  gsize         mstride;
  float        *m = make_mask (&mstride);
  RestoreMask   mask = { m, W, H, mstride };
  RestoreImage  gray = make_image (1, 0, 3), gray_out = make_dst (1, 0);
  RestoreImage  ga = make_image (2, 1, 3), ga_out = make_dst (2, 0);
  RestoreImage  rgb = make_image (3, 0, 3), rgb_out = make_dst (3, 2);
  int           x, y;

  /* The same gray content as gray, gray + opaque alpha and R = G = B. */
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      {
        float v = gray.data[y * gray.rowstride + x];

        ga.data[y * ga.rowstride + 2 * x] = v;
        ga.data[y * ga.rowstride + 2 * x + 1] = 1.0f;
        rgb.data[y * rgb.rowstride + 3 * x] = v;
        rgb.data[y * rgb.rowstride + 3 * x + 1] = v;
        rgb.data[y * rgb.rowstride + 3 * x + 2] = v;
      }
  run_ok (&model, 1, &gray, &mask, &gray_out, 0);
  run_ok (&model, 1, &ga, &mask, &ga_out, 0);
  run_ok (&model, 1, &rgb, &mask, &rgb_out, 0);
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      {
        float        g = gray_out.data[y * gray_out.rowstride + x];
        const float *p = rgb_out.data + y * rgb_out.rowstride + 3 * x;
        float        clamp_mean;

        /* Gray is the mean of the three restored channels. */
        clamp_mean = (p[0] + p[1] + p[2]) / 3.0f;
        g_assert_cmpfloat_with_epsilon (g, clamp_mean, 1e-5);
        g_assert_cmpfloat_with_epsilon (g, ga_out.data[y * ga_out.rowstride + 2 * x], 1e-6);
        g_assert_cmpfloat_with_epsilon (ga_out.data[y * ga_out.rowstride + 2 * x + 1], 1.0, 1e-6);
      }
  g_free (gray.data);
  g_free (gray_out.data);
  g_free (ga.data);
  g_free (ga_out.data);
  g_free (rgb.data);
  g_free (rgb_out.data);
  g_free (m);
  restore_model_free (model);
}

static void
test_engine_alpha (void)
{
  RestoreModel *model = load_tiny ();
  gsize         mstride;
  float        *m = make_mask (&mstride);
  RestoreMask   mask = { m, W, H, mstride };
  RestoreImage  src = make_image (4, 0, 4), dst = make_dst (4, 0);
  int           x, y;

  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      src.data[y * src.rowstride + 4 * x + 3] = 0.7f;
  run_ok (&model, 1, &src, &mask, &dst, 64);
  /* Constant alpha around the damage: filled with the same constant. */
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      g_assert_cmpfloat_with_epsilon (dst.data[y * dst.rowstride + 4 * x + 3], 0.7, 1e-5);
  g_free (src.data);
  g_free (dst.data);
  g_free (m);
  restore_model_free (model);
}

/* Tiles must not change the result: small tiles vs one tile. */
static void
test_engine_tiled (void)
{
  RestoreModel *model = load_tiny ();
  gsize         mstride;
  float        *m = make_mask (&mstride);
  RestoreMask   mask = { m, W, H, mstride };
  RestoreImage  src = make_image (3, 0, 5), one = make_dst (3, 0), many = make_dst (3, 0);
  double        worst = 0.0;
  int           i;

  run_ok (&model, 1, &src, &mask, &one, 1024);
  run_ok (&model, 1, &src, &mask, &many, 64);
  for (i = 0; i < W * H * 3; i++)
    worst = MAX (worst, fabs (one.data[i] - many.data[i]));
  g_test_message ("tiled vs one tile: max difference %g", worst);
  g_assert_cmpfloat (worst, <, 1e-4);

  g_free (src.data);
  g_free (one.data);
  g_free (many.data);
  g_free (m);
  restore_model_free (model);
}

/* The same with post-processing, whose filters get their own margin, on
 * an image big enough for several tiles. */
static void
test_engine_tiled_post (void)
{
  RestoreModel  *model = load_tiny ();
  int            w = 420, h = 300, x, y;
  gsize          n = (gsize) w * h * 3;
  RestoreImage   src = { g_new (float, n), w, h, 3, (gsize) w * 3 };
  RestoreImage   one = { g_new (float, n), w, h, 3, (gsize) w * 3 };
  RestoreImage   many = { g_new (float, n), w, h, 3, (gsize) w * 3 };
  float         *m = g_new0 (float, (gsize) w * h);
  RestoreMask    mask = { m, w, h, w };
  RestoreOptions options;
  GRand         *rand = g_rand_new_with_seed (12);
  double         worst = 0.0;
  gsize          i;

  for (i = 0; i < n; i++)
    src.data[i] = (float) (0.5 + 0.3 * sin (i * 0.001) + 0.1 * g_rand_double (rand));
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      if (hypot (x - 200, y - 150) < 120 || (y > 20 && y < 26))
        m[y * w + x] = 1.0f;
  restore_options_init (&options);
  options.denoise = 0.7;
  options.sharpen = 0.4;
  /* the texture's patch search picks discrete sources, so the fill's
   * differences of 1e-6 between tilings can pick others: it is tested on
   * its own (test-texture.c) */
  options.texture = 0.0;
  options.tile_size = 2048;
  g_assert_true (restore_run (&model, 1, &src, &mask, &one, &options, NULL));
  options.tile_size = 64;
  g_assert_true (restore_run (&model, 1, &src, &mask, &many, &options, NULL));
  for (i = 0; i < n; i++)
    worst = MAX (worst, fabs (one.data[i] - many.data[i]));
  g_test_message ("with post-processing: max difference %g", worst);
  g_assert_cmpfloat (worst, <, 1e-4);
  g_rand_free (rand);
  g_free (src.data);
  g_free (one.data);
  g_free (many.data);
  g_free (m);
  restore_model_free (model);
}

typedef struct
{
  double last;
  int    calls;
  gint  *cancel;
  int    cancel_after;
} Progress;

static void
on_progress (double fraction, gpointer data)
{
  Progress *p = data;

  g_assert_cmpfloat (fraction, >=, p->last);
  g_assert_cmpfloat (fraction, <=, 1.0);
  p->last = fraction;
  p->calls++;
  if (p->cancel != NULL && p->calls == p->cancel_after)
    g_atomic_int_set (p->cancel, 1);
}

static void
test_engine_progress_cancel (void)
{
  RestoreModel  *model = load_tiny ();
  gsize          mstride;
  float         *m = make_mask (&mstride);
  RestoreMask    mask = { m, W, H, mstride };
  RestoreImage   src = make_image (3, 0, 6), dst = make_dst (3, 0);
  RestoreOptions options;
  Progress       p = { 0.0, 0, NULL, 0 };
  gint           cancel = 0;
  GError        *error = NULL;

  restore_options_init (&options);
  options.tile_size = 64;
  options.progress = on_progress;
  options.progress_data = &p;
  options.cancel = &cancel;
  g_assert_true (restore_run (&model, 1, &src, &mask, &dst, &options, &error));
  g_assert_cmpfloat (p.last, ==, 1.0);
  g_assert_cmpint (p.calls, >, 4);   /* 0, one per tile, 1 */

  /* Cancelled from the progress callback after the second tile. */
  p = (Progress) { 0.0, 0, &cancel, 3 };
  g_assert_false (restore_run (&model, 1, &src, &mask, &dst, &options, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_CANCELLED);
  g_assert_cmpint (p.calls, ==, 3);
  g_assert_cmpfloat (p.last, <, 1.0);
  g_clear_error (&error);

  /* Cancelled before the start. */
  g_assert_false (restore_run (&model, 1, &src, &mask, &dst, &options, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_CANCELLED);
  g_clear_error (&error);

  g_free (src.data);
  g_free (dst.data);
  g_free (m);
  restore_model_free (model);
}

static void
expect_invalid (RestoreModel *model, RestoreImage *src, RestoreMask *mask,
                RestoreImage *dst, RestoreOptions *options, int code, const char *message)
{
  GError *error = NULL;

  g_assert_false (restore_run (&model, 1, src, mask, dst, options, &error));
  g_assert_error (error, RESTORE_ERROR, code);
  g_test_message ("%s", error->message);
  if (message != NULL)
    g_assert_cmpstr (error->message, ==, message);
  g_error_free (error);
}

static void
test_engine_errors (void)
{
  RestoreModel  *model = load_toy ("toy", 0.0, 0.5f);
  float         *zeros = g_new0 (float, W * H);
  RestoreMask    empty = { zeros, W, H, W };
  gsize          mstride;
  float         *m = make_mask (&mstride);
  RestoreMask    mask = { m, W, H, mstride };
  RestoreMask    small = { m, W - 1, H, mstride };
  RestoreImage   src = make_image (3, 0, 7), dst = make_dst (3, 0);
  RestoreImage   bad;
  RestoreOptions options;

  restore_options_init (&options);
  expect_invalid (model, &src, &empty, &dst, &options, RESTORE_ERROR_EMPTY_MASK,
                  "the selection is empty: select the damaged area first");
  expect_invalid (model, &src, &small, &dst, &options, RESTORE_ERROR_INVALID,
                  "the mask is 149 x 97 but the image is 150 x 97");
  bad = dst;
  bad.channels = 4;
  expect_invalid (model, &src, &mask, &bad, &options, RESTORE_ERROR_INVALID, NULL);
  bad = src;
  bad.channels = 5;
  bad.rowstride = W * 5;
  expect_invalid (model, &bad, &mask, &dst, &options, RESTORE_ERROR_INVALID,
                  "images must have 1 to 4 channels, got 5");
  bad = src;
  bad.rowstride = W * 3 - 1;
  expect_invalid (model, &bad, &mask, &dst, &options, RESTORE_ERROR_INVALID, NULL);
  bad = src;
  bad.width = 0;
  expect_invalid (model, &bad, &mask, &dst, &options, RESTORE_ERROR_INVALID, NULL);
  expect_invalid (model, &src, &mask, &src, &options, RESTORE_ERROR_INVALID,
                  "the output buffer overlaps the input");
  options.denoise = 1.5;
  expect_invalid (model, &src, &mask, &dst, &options, RESTORE_ERROR_INVALID,
                  "denoise must be between 0 and 1, got 1.5");
  options.denoise = 0.0;
  options.tile_size = -3;
  expect_invalid (model, &src, &mask, &dst, &options, RESTORE_ERROR_INVALID, NULL);
  options.tile_size = 0;
  options.flips = 3;
  expect_invalid (model, &src, &mask, &dst, &options, RESTORE_ERROR_INVALID,
                  "flips must be 0 (the model's own), 1, 2 or 4, got 3");
  options.flips = -1;
  expect_invalid (model, &src, &mask, &dst, &options, RESTORE_ERROR_INVALID, NULL);
  options.flips = 0;

  /* NULL options mean the defaults. */
  g_assert_true (restore_run (&model, 1, &src, &mask, &dst, NULL, NULL));

  g_free (zeros);
  g_free (m);
  g_free (src.data);
  g_free (dst.data);
  restore_model_free (model);
}

/* Automatic choice: thin scratches go to the small-radius model, a large
 * blob to the general one, which also takes the thin damage in the tiles
 * it runs on.  The toy models restore to 1 and 0. */
static void
test_engine_routing (void)
{
  RestoreModel *models[2];
  float        *m = g_new0 (float, W * H);
  RestoreMask   mask = { m, W, H, W };
  RestoreImage  src = make_image (1, 0, 8), dst = make_dst (1, 0);
  int           x, y, n_scratch = 0, n_blob = 0;

  models[0] = load_toy ("general", 0.0, 0.0f);
  models[1] = load_toy ("scratch", 3.0, 1.0f);
  for (x = 5; x < 145; x++)      /* 3-pixel scratch: half-width 1.5 */
    for (y = 10; y < 13; y++)
      m[y * W + x] = 1.0f;
  for (y = 40; y < 90; y++)      /* 40 x 50 blob */
    for (x = 50; x < 90; x++)
      m[y * W + x] = 1.0f;
  for (y = 30; y < 90; y++)      /* 1-pixel vertical scratch */
    m[y * W + 120] = 1.0f;
  run_ok (models, 2, &src, &mask, &dst, 64);
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      {
        float v = dst.data[y * W + x];

        if (m[y * W + x] == 0.0f)
          g_assert_cmpfloat (v, ==, src.data[y * W + x]);
        else if (x >= 50 && x < 90 && y >= 40)
          {
            g_assert_cmpfloat_with_epsilon (v, 0.0, 1e-6);
            n_blob++;
          }
        else
          {
            g_assert_cmpfloat_with_epsilon (v, 1.0, 1e-6);
            n_scratch++;
          }
      }
  g_assert_cmpint (n_blob, ==, 40 * 50);
  g_assert_cmpint (n_scratch, ==, 140 * 3 + 60);

  /* The general model takes the thin damage inside the box of its own
   * pixels in a tile, which its window computes anyway: two blobs with a
   * 1 px scratch between them (not touching), in one window (the default
   * tile size) and in 64 px tiles; outside that box the small model keeps
   * its scratches.  Every pixel is wholly one model's (a blend weight lost
   * in the hand-over would leave some of the source in it). */
  for (int tile = 0; tile <= 64; tile += 64)
    {
      int n_between = 0;

      memset (m, 0, sizeof (float) * W * H);
      for (x = 5; x < 145; x++)
        for (y = 10; y < 13; y++)
          m[y * W + x] = 1.0f;
      for (y = 40; y < 90; y++)
        for (x = 50; x < 90; x++)
          if (y < 60 || y >= 75)
            m[y * W + x] = 1.0f;
      for (x = 52; x < 88; x++)
        m[67 * W + x] = 1.0f;
      run_ok (models, 2, &src, &mask, &dst, tile);
      n_scratch = n_blob = 0;
      for (y = 0; y < H; y++)
        for (x = 0; x < W; x++)
          {
            float v = dst.data[y * W + x];

            if (m[y * W + x] == 0.0f)
              continue;
            g_assert_true (fabsf (v) < 1e-6 || fabsf (v - 1.0f) < 1e-6);
            if (y < 13)
              g_assert_cmpfloat_with_epsilon (v, 1.0, 1e-6);
            else if (y == 67)
              n_between += fabsf (v) < 1e-6;
            else
              g_assert_cmpfloat_with_epsilon (v, 0.0, 1e-6);
          }
      g_test_message ("tile size %d: %d of the 36 pixels between the blobs to the general model",
                      tile, n_between);
      if (tile == 0)
        g_assert_cmpint (n_between, ==, 36);
      else
        g_assert_cmpint (n_between, >, 0);
    }

  /* One model takes everything. */
  run_ok (&models[1], 1, &src, &mask, &dst, 0);
  for (x = 0; x < W * H; x++)
    if (m[x] > 0.0f)
      g_assert_cmpfloat_with_epsilon (dst.data[x], 1.0, 1e-6);

  restore_model_free (models[0]);
  restore_model_free (models[1]);
  g_free (m);
  g_free (src.data);
  g_free (dst.data);
}

/* A big image with a tiny mask: the cost follows the mask. */
static void
test_engine_big_small_mask (void)
{
  RestoreModel *model = load_tiny ();
  int           bw = 4000, bh = 3000;
  RestoreImage  src = { g_new0 (float, (gsize) bw * bh * 3), bw, bh, 3, (gsize) bw * 3 };
  RestoreImage  dst = { g_new (float, (gsize) bw * bh * 3), bw, bh, 3, (gsize) bw * 3 };
  float        *m = g_new (float, (gsize) bw * bh);
  RestoreMask   mask = { m, bw, bh, bw };
  gint64        t0;
  double        seconds;
  int           x, y;

  memset (m, 0, sizeof (float) * bw * bh);
  for (y = 1500; y < 1510; y++)
    for (x = 2000; x < 2004; x++)
      m[(gsize) y * bw + x] = 1.0f;
  /* Touch every page first: the first touch of fresh memory is the
   * test's cost, not the engine's. */
  memset (src.data, 0, sizeof (float) * 3 * bw * bh);
  memset (dst.data, 0, sizeof (float) * 3 * bw * bh);
  t0 = g_get_monotonic_time ();
  run_ok (&model, 1, &src, &mask, &dst, 0);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("4000 x 3000 RGB, 40 masked pixels: %.3f s", seconds);
  g_assert_cmpfloat (seconds, <, 1.0 * TIME_FACTOR);
  g_assert_true (memcmp (src.data, dst.data, sizeof (float) * 3 * bw * 1500) == 0);

  /* Automatic choice between two models, defects in opposite corners:
   * the routing must not cost a pass of heavy work over the box. */
  {
    RestoreModel *models[2] = { model, load_toy ("general", 0.0, 0.0f) };

    for (y = 2990; y < 3000; y++)
      for (x = 3990; x < 4000; x++)
        m[(gsize) y * bw + x] = 1.0f;
    m[0] = 1.0f;
    t0 = g_get_monotonic_time ();
    run_ok (models, 2, &src, &mask, &dst, 0);
    seconds = (g_get_monotonic_time () - t0) / 1e6;
    g_test_message ("same with two models and defects in the corners: %.3f s", seconds);
    g_assert_cmpfloat (seconds, <, 1.0 * TIME_FACTOR);
    /* The 10 x 10 blob (half-width 4.5) went to the general model. */
    g_assert_cmpfloat (dst.data[((gsize) 2995 * bw + 3995) * 3], ==, 0.0f);
    restore_model_free (models[1]);
  }
  g_free (src.data);
  g_free (dst.data);
  g_free (m);
  restore_model_free (model);
}

/* The composite: out = m * restored + (1 - m) * src for a soft mask,
 * with a toy model that restores everything to 1. */
static void
test_engine_composite (void)
{
  RestoreModel *model = load_toy ("one", 0.0, 1.0f);
  RestoreImage  src = make_image (4, 2, 9), dst = make_dst (4, 0);
  float        *m = g_new0 (float, W * H);
  RestoreMask   mask = { m, W, H, W };
  int           x, y, c;

  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      m[y * W + x] = (x > 20 && x < 130) ? (float) ((x % 7) / 6.0) : 0.0f;
  run_ok (&model, 1, &src, &mask, &dst, 64);
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      for (c = 0; c < 3; c++)
        {
          float mm = m[y * W + x];
          float s = src.data[y * src.rowstride + 4 * x + c];

          g_assert_cmpfloat_with_epsilon (dst.data[y * dst.rowstride + 4 * x + c],
                                          mm * 1.0f + (1.0f - mm) * s, 1e-6);
        }
  g_free (m);
  g_free (src.data);
  g_free (dst.data);
  restore_model_free (model);
}

/* Images smaller than a tile and than 2^depth: padded, never crash. */
static void
test_engine_tiny (void)
{
  static const struct { int w, h; } sizes[] = { { 1, 1 }, { 3, 5 }, { 5, 3 }, { 2, 33 } };
  RestoreModel *model = load_tiny ();
  guint         i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int          w = sizes[i].w, h = sizes[i].h, ch;

      for (ch = 1; ch <= 4; ch++)
        {
          RestoreImage src = { g_new (float, w * h * ch), w, h, ch, (gsize) w * ch };
          RestoreImage dst = { g_new (float, w * h * ch), w, h, ch, (gsize) w * ch };
          float       *m = g_new0 (float, w * h);
          RestoreMask  mask = { m, w, h, w };
          int          k;

          for (k = 0; k < w * h * ch; k++)
            src.data[k] = (float) (k % 5) / 4.0f;
          m[w * h / 2] = 1.0f;
          run_ok (&model, 1, &src, &mask, &dst, 0);
          for (k = 0; k < w * h; k++)
            if (m[k] == 0.0f)
              g_assert_true (memcmp (src.data + k * ch, dst.data + k * ch,
                                     sizeof (float) * ch) == 0);
            else
              g_assert_true (isfinite (dst.data[k * ch]));
          g_free (src.data);
          g_free (dst.data);
          g_free (m);
        }
    }
  restore_model_free (model);
}

/* One restore of the concurrency test: its own image, settings and
 * result, the model shared. */
typedef struct
{
  RestoreModel   *model;
  RestoreImage    src;
  RestoreMask     mask;
  RestoreOptions  options;
  RestoreImage    dst;
  int             rounds;
  gboolean        ok;
} Job;

static gpointer
job_run (gpointer data)
{
  Job *job = data;

  job->ok = TRUE;
  for (int r = 0; r < job->rounds && job->ok; r++)
    job->ok = restore_run (&job->model, 1, &job->src, &job->mask, &job->dst,
                           &job->options, NULL);
  return NULL;
}

/* Two restores at once on one model, with different threads, tile sizes,
 * mirror images, post-processing and image layouts: each equals, bit for
 * bit, the same restore run alone (core/ keeps no process-wide state; a
 * model is only read, each run has its own context). */
static void
test_engine_concurrent (void)
{
  char         *path = g_build_filename (RESTORE_SOURCE_MODELS_DIR, "scratch.grst", NULL);
  GError       *error = NULL;
  RestoreModel *model = restore_model_load (path, &error);
  Job           jobs[2];
  RestoreImage  alone[2];
  gsize         rowstride;
  float        *m = make_mask (&rowstride);
  GThread      *threads[2];

  g_assert_no_error (error);
  for (int k = 0; k < 2; k++)
    {
      Job *job = &jobs[k];

      job->model = model;
      job->src = make_image (k == 0 ? 3 : 4, 3 * k, 21 + k);
      job->mask = (RestoreMask) { m, W, H, rowstride };
      restore_options_init (&job->options);
      job->dst = make_dst (job->src.channels, 3 * k);
      job->rounds = 3;
      alone[k] = make_dst (job->src.channels, 3 * k);
    }
  jobs[0].options.n_threads = 2;
  jobs[0].options.denoise = 0.4;
  jobs[0].options.flips = 4;
  jobs[0].options.tile_size = 64;
  jobs[1].options.n_threads = 1;
  jobs[1].options.sharpen = 0.6;
  jobs[1].options.flips = 1;

  for (int k = 0; k < 2; k++)
    {
      g_assert_true (restore_run (&model, 1, &jobs[k].src, &jobs[k].mask, &alone[k],
                                  &jobs[k].options, &error));
      g_assert_no_error (error);
      assert_outside_identical (&jobs[k].src, &alone[k], &jobs[k].mask);
    }
  /* the settings differ enough to give different pictures */
  g_assert_true (memcmp (alone[0].data, alone[1].data, sizeof (float) * 3 * W) != 0);

  for (int k = 0; k < 2; k++)
    threads[k] = g_thread_new ("restore", job_run, &jobs[k]);
  for (int k = 0; k < 2; k++)
    g_thread_join (threads[k]);
  for (int k = 0; k < 2; k++)
    {
      g_assert_true (jobs[k].ok);
      for (int y = 0; y < H; y++)
        g_assert_cmpmem (jobs[k].dst.data + y * jobs[k].dst.rowstride,
                         sizeof (float) * W * jobs[k].dst.channels,
                         alone[k].data + y * alone[k].rowstride,
                         sizeof (float) * W * alone[k].channels);
    }

  for (int k = 0; k < 2; k++)
    {
      g_free (jobs[k].src.data);
      g_free (jobs[k].dst.data);
      g_free (alone[k].data);
    }
  g_free (m);
  g_free (path);
  restore_model_free (model);
}

/* Mirror images where they pay, with the shipped general model
 * (restore.flips 4, restore.flips_radius 4): on a 384 x 320 picture with
 * thin scratches everywhere and one 24 px blob, the blob is restored as
 * with options.flips 4, thin damage far from it exactly as with 1; with
 * no wide damage the default is exactly flips 1; with a hole over most of
 * the picture, exactly flips 4 (the whole window). */
static void
test_engine_flip_boxes (void)
{
  const int     w = 384, h = 320;
  char         *path = g_build_filename (RESTORE_SOURCE_MODELS_DIR, "general.grst", NULL);
  GError       *error = NULL;
  RestoreModel *model = restore_model_load (path, &error);
  RestoreImage  src = { g_new (float, w * h * 3), w, h, 3, (gsize) w * 3 };
  RestoreImage  out[3];
  float        *m = g_new0 (float, w * h);
  RestoreMask   mask = { m, w, h, w };
  const int     flips[3] = { 0, 1, 4 };
  double        blob_to4 = 0.0, blob_to1 = 0.0;
  int           x, y, c, k, n_far = 0, n_blob = 0;

  g_assert_no_error (error);
  g_assert_cmpint (restore_model_get_flips (model), ==, 4);
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      for (c = 0; c < 3; c++)
        src.data[(y * w + x) * 3 + c] =
          (float) (0.5 + 0.3 * sin (x * 0.05 + c) * cos (y * 0.07) + 0.1 * ((x / 16 + y / 16) % 2));
  for (x = 0; x < w; x++)   /* thin scratches: two rows, two columns, 2 px wide */
    for (k = 0; k < 2; k++)
      m[(40 + k) * w + x] = m[(250 + k) * w + x] = 1.0f;
  for (y = 0; y < h; y++)
    for (k = 0; k < 2; k++)
      m[y * w + 30 + k] = m[y * w + 200 + k] = 1.0f;
  for (y = 260; y < 284; y++)   /* the blob, far from the top-left */
    for (x = 320; x < 344; x++)
      m[y * w + x] = 1.0f;

  for (int run = 0; run < 3; run++)
    {
      out[run] = (RestoreImage) { g_new (float, w * h * 3), w, h, 3, (gsize) w * 3 };
      run_flips (model, &src, &mask, &out[run], flips[run]);
    }
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      {
        gsize i = (gsize) (y * w + x) * 3;

        if (m[y * w + x] == 0.0f)
          continue;
        if (x < 160 && y < 160)   /* > 100 px from the blob: one image */
          {
            g_assert_cmpmem (out[0].data + i, 3 * sizeof (float), out[1].data + i,
                             3 * sizeof (float));
            n_far++;
          }
        if (x >= 320 && x < 344 && y >= 260 && y < 284)
          {
            for (c = 0; c < 3; c++)
              {
                blob_to4 += fabs (out[0].data[i + c] - out[2].data[i + c]);
                blob_to1 += fabs (out[0].data[i + c] - out[1].data[i + c]);
              }
            n_blob++;
          }
      }
  blob_to4 /= 3 * n_blob;
  blob_to1 /= 3 * n_blob;
  g_test_message ("blob: %.2g from flips 4, %.2g from flips 1 (%d far pixels equal to flips 1)",
                  blob_to4, blob_to1, n_far);
  g_assert_cmpint (n_far, >, 500);
  /* the blob takes the four images' mean, computed on a crop around it */
  g_assert_cmpfloat (blob_to1, >, 1e-3);
  g_assert_cmpfloat (blob_to4, <, 0.1 * blob_to1);

  /* no wide damage: one image everywhere */
  for (y = 260; y < 284; y++)
    for (x = 320; x < 344; x++)
      m[y * w + x] = 0.0f;
  for (int run = 0; run < 2; run++)
    run_flips (model, &src, &mask, &out[run], flips[run]);
  g_assert_cmpmem (out[0].data, sizeof (float) * w * h * 3, out[1].data,
                   sizeof (float) * w * h * 3);

  /* a hole over most of the window: the whole window on four images */
  for (y = 40; y < 280; y++)
    for (x = 40; x < 340; x++)
      m[y * w + x] = 1.0f;
  for (int run = 0; run < 3; run += 2)
    run_flips (model, &src, &mask, &out[run], flips[run]);
  g_assert_cmpmem (out[0].data, sizeof (float) * w * h * 3, out[2].data,
                   sizeof (float) * w * h * 3);

  for (k = 0; k < 3; k++)
    g_free (out[k].data);
  g_free (src.data);
  g_free (m);
  g_free (path);
  restore_model_free (model);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/engine/identical-outside", test_engine_identical_outside);
  g_test_add_func ("/pipeline/engine/gray", test_engine_gray);
  g_test_add_func ("/pipeline/engine/alpha", test_engine_alpha);
  g_test_add_func ("/pipeline/engine/tiled", test_engine_tiled);
  g_test_add_func ("/pipeline/engine/tiled-post", test_engine_tiled_post);
  g_test_add_func ("/pipeline/engine/progress-cancel", test_engine_progress_cancel);
  g_test_add_func ("/pipeline/engine/errors", test_engine_errors);
  g_test_add_func ("/pipeline/engine/routing", test_engine_routing);
  g_test_add_func ("/pipeline/engine/composite", test_engine_composite);
  g_test_add_func ("/pipeline/engine/tiny", test_engine_tiny);
  g_test_add_func ("/pipeline/engine/big-small-mask", test_engine_big_small_mask);
  g_test_add_func ("/pipeline/engine/concurrent", test_engine_concurrent);
  g_test_add_func ("/pipeline/engine/non-finite", test_engine_non_finite);
  g_test_add_func ("/pipeline/engine/flip-boxes", test_engine_flip_boxes);
  return g_test_run ();
}
