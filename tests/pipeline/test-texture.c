/* Tests of the texture step (core/restore-texture.h): on a synthetic
 * textured picture whose wide hole holds a smooth fill, the fill's
 * high-pass comes up to the level of its surroundings; a scratch narrower
 * than RESTORE_TEXTURE_MIN_WIDTH, the pixels with mask 0 and alpha are
 * never written; the result is the same on every run and for any number
 * of threads; strength 0 and a cancel change nothing or stop. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-engine.h"
#include "restore-params.h"
#include "restore-texture.h"
#include "hp-ratio.h"

#define W 200
#define H 160

/* A fine texture (two crossing waves and hashed noise, blurred a little)
 * over a slow gradient, different per channel: the picture's smooth part
 * is smooth (), its texture texture (). */
static double
smooth (int x, int y, int c)
{
  return 0.3 + 0.3 * x / W + 0.1 * y / H + 0.05 * c;
}

static double
texture (int x, int y, int c)
{
  guint32 h = (guint32) x * 73856093u ^ (guint32) y * 19349663u ^ (guint32) c * 83492791u;

  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return 0.05 * sin (x * 0.9 + y * 0.4 + c) * sin (y * 0.7 - x * 0.2)
         + 0.03 * ((h & 0xffff) / 65535.0 - 0.5);
}

/* The disk of radius 30 (wide) and, apart, a scratch 3 px wide. */
static float *
make_mask (gboolean disk, gboolean scratch)
{
  float *m = g_new0 (float, W * H);

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        if (disk && hypot (x - 70.0, y - 80.0) < 30)
          m[y * W + x] = 1.0f;
        if (scratch && x >= 130 && x < 190 && abs (y - (20 + x / 4)) <= 1)
          m[y * W + x] = 1.0f;
      }
  return m;
}

/* The picture, its alpha 0.8 when @channels is 2 or 4, and inside the
 * mask only its smooth part: what a network's smooth fill gives. */
static RestoreImage
make_filled (int channels, const float *m)
{
  RestoreImage img = { g_new (float, (gsize) W * H * channels), W, H, channels,
                       (gsize) W * channels };
  gboolean     alpha = channels == 2 || channels == 4;

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < channels; c++)
        {
          gsize i = ((gsize) y * W + x) * channels + c;

          if (alpha && c == channels - 1)
            img.data[i] = 0.8f;
          else
            img.data[i] = (float) (smooth (x, y, c)
                                   + (m[y * W + x] > 0 ? 0.0 : texture (x, y, c)));
        }
  return img;
}

static RestoreImage
copy_image (const RestoreImage *img)
{
  RestoreImage c = *img;

  c.data = g_memdup2 (img->data, sizeof (float) * img->rowstride * img->height);
  return c;
}

static int threads = 0;   /* of apply(): 0 = one per core */

static gboolean
apply (RestoreImage *img, const float *m, double strength, const gint *cancel,
       RestoreTextureStats *stats)
{
  RestoreMask mask = { m, W, H, W };

  return restore_texture_apply (img, &mask, 0, 0, 0, 0, strength, RESTORE_TEXTURE_SEED,
                                threads, cancel, stats);
}

/* The wide hole's high-pass comes up from almost nothing to about its
 * surroundings', for gray and colour. */
static void
test_texture_matches (void)
{
  float *disk = make_mask (TRUE, FALSE);

  for (int channels = 1; channels <= 3; channels += 2)
    {
      RestoreImage        img = make_filled (channels, disk);
      RestoreTextureStats stats;
      double              before = hp_ratio (&img, disk), after;

      g_assert_true (apply (&img, disk, 1.0, NULL, &stats));
      after = hp_ratio (&img, disk);
      g_test_message ("%d channels: high-pass ratio %.2f -> %.2f (%d region, %" G_GSIZE_FORMAT
                      " pixels, %" G_GSIZE_FORMAT " sources)", channels, before, after,
                      stats.regions, stats.pixels, stats.sources);
      g_assert_cmpfloat (before, <, 0.2);
      g_assert_cmpfloat (after, >, 0.6);
      g_assert_cmpfloat (after, <, 1.5);
      g_assert_cmpint (stats.regions, ==, 1);
      g_assert_cmpuint (stats.pixels, >, 2700);
      g_assert_cmpuint (stats.sources, >, 0);
      g_free (img.data);
    }
  g_free (disk);
}

/* Only the wide region's pixels change: not the narrow scratch, not the
 * pixels with mask 0, not alpha; values stay within 0..1. */
static void
test_texture_only_wide (void)
{
  float *m = make_mask (TRUE, TRUE);

  for (int channels = 2; channels <= 4; channels += 2)
    {
      RestoreImage img = make_filled (channels, m);
      RestoreImage before = copy_image (&img);
      int          changed = 0;

      g_assert_true (apply (&img, m, 2.0, NULL, NULL));
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          for (int c = 0; c < channels; c++)
            {
              gsize i = ((gsize) y * W + x) * channels + c;
              gboolean in_disk = hypot (x - 70.0, y - 80.0) < 30;

              if (!in_disk || c == channels - 1)
                g_assert_cmpfloat (img.data[i], ==, before.data[i]);
              else
                {
                  changed += img.data[i] != before.data[i];
                  g_assert_cmpfloat (img.data[i], >=, 0.0f);
                  g_assert_cmpfloat (img.data[i], <=, 1.0f);
                }
            }
      g_assert_cmpint (changed, >, 2000 * (channels - 1));
      g_free (img.data);
      g_free (before.data);
    }
  g_free (m);
}

/* The same pixels and seed give the same result; strength 0 and a mask of
 * thin damage only change nothing. */
static void
test_texture_repeatable (void)
{
  float              *m = make_mask (TRUE, TRUE), *thin = make_mask (FALSE, TRUE);
  RestoreImage        a = make_filled (3, m), b = copy_image (&a), c = copy_image (&a);
  RestoreImage        d = make_filled (3, thin), e = copy_image (&d);
  RestoreTextureStats stats;

  g_assert_true (apply (&a, m, 1.0, NULL, NULL));
  g_assert_true (apply (&b, m, 1.0, NULL, NULL));
  g_assert_true (memcmp (a.data, b.data, sizeof (float) * W * H * 3) == 0);
  g_assert_true (memcmp (a.data, c.data, sizeof (float) * W * H * 3) != 0);
  g_assert_true (apply (&c, m, 0.0, NULL, &stats));
  g_assert_cmpint (stats.regions, ==, 0);
  g_assert_true (apply (&d, thin, 1.0, NULL, &stats));
  g_assert_cmpint (stats.regions, ==, 0);
  g_assert_true (memcmp (d.data, e.data, sizeof (float) * W * H * 3) == 0);
  g_free (a.data);
  g_free (b.data);
  g_free (c.data);
  g_free (d.data);
  g_free (e.data);
  g_free (m);
  g_free (thin);
}

/* The search runs bands of rows on threads: the same result for 1, 2 and
 * 3 threads on a region of several bands. */
static void
test_texture_threads (void)
{
  float       *m = g_new0 (float, W * H);
  RestoreImage ref;

  for (int y = 10; y < 150; y++)
    for (int x = 70; x < 130; x++)
      m[y * W + x] = 1.0f;
  ref = make_filled (3, m);
  threads = 1;
  g_assert_true (apply (&ref, m, 1.0, NULL, NULL));
  for (int n = 2; n <= 3; n++)
    {
      RestoreImage img = make_filled (3, m);

      threads = n;
      g_assert_true (apply (&img, m, 1.0, NULL, NULL));
      g_assert_true (memcmp (img.data, ref.data, sizeof (float) * W * H * 3) == 0);
      g_free (img.data);
    }
  threads = 0;
  g_free (ref.data);
  g_free (m);
}

/* A wide region in a corner of the picture: its patches reach past the
 * edges (which repeat), only its pixels change. */
static void
test_texture_corner (void)
{
  float              *m = g_new0 (float, W * H);
  RestoreImage        img, before;
  RestoreTextureStats stats;
  int                 changed = 0;

  for (int y = H - 60; y < H; y++)
    for (int x = 0; x < 50; x++)
      m[y * W + x] = 1.0f;
  img = make_filled (3, m);
  before = copy_image (&img);
  g_assert_true (apply (&img, m, 1.0, NULL, &stats));
  g_assert_cmpint (stats.regions, ==, 1);
  for (int i = 0; i < W * H * 3; i++)
    {
      if (m[i / 3] == 0.0f)
        g_assert_cmpfloat (img.data[i], ==, before.data[i]);
      else
        changed += img.data[i] != before.data[i];
    }
  g_assert_cmpint (changed, >, 2 * 50 * 60);
  g_free (img.data);
  g_free (before.data);
  g_free (m);
}

/* A region whose work area passes RESTORE_TEXTURE_MAX_AREA keeps its
 * smooth fill (the memory stays bounded). */
static void
test_texture_max_area (void)
{
  const int           side = 2100, r = 1000;
  RestoreImage        img = { g_new (float, (gsize) side * side), side, side, 1, side };
  float              *m = g_new0 (float, (gsize) side * side);
  RestoreMask         mask = { m, side, side, side };
  RestoreTextureStats stats;
  float              *before;

  g_assert_cmpint ((gint64) side * side, >, RESTORE_TEXTURE_MAX_AREA);
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++)
      {
        gboolean in = hypot (x - side / 2.0, y - side / 2.0) < r;

        m[(gsize) y * side + x] = in ? 1.0f : 0.0f;
        img.data[(gsize) y * side + x] = (float) (smooth (x % W, y % H, 0)
                                                  + (in ? 0.0 : texture (x, y, 0)));
      }
  before = g_memdup2 (img.data, sizeof (float) * side * side);
  g_assert_true (restore_texture_apply (&img, &mask, 0, 0, 0, 0, 1.0, RESTORE_TEXTURE_SEED,
                                        0, NULL, &stats));
  g_assert_cmpint (stats.regions, ==, 0);
  g_assert_true (memcmp (img.data, before, sizeof (float) * side * side) == 0);
  g_free (before);
  g_free (img.data);
  g_free (m);
}

static void
test_texture_cancel (void)
{
  float       *m = make_mask (TRUE, FALSE);
  RestoreImage img = make_filled (3, m);
  gint         cancel = 1;

  g_assert_false (apply (&img, m, 1.0, &cancel, NULL));
  g_free (img.data);
  g_free (m);
}

/* The setting: after plug-in-restore's arguments, on by default, 0..2. */
static void
test_texture_param (void)
{
  const RestoreParamSpec *spec = &restore_params[RESTORE_PARAM_TEXTURE];
  RestoreOptions          options;
  GError                 *error = NULL;

  g_assert_cmpint (RESTORE_PARAM_TEXTURE, >=, RESTORE_PARAM_COUNT);
  g_assert_cmpstr (spec->name, ==, "texture");
  g_assert_cmpint (spec->offset, ==, G_STRUCT_OFFSET (RestoreOptions, texture));
  restore_options_init (&options);
  g_assert_cmpfloat (options.texture, ==, 1.0);
  g_assert_true (restore_param_check_double (RESTORE_PARAM_TEXTURE, 0.0, NULL));
  g_assert_true (restore_param_check_double (RESTORE_PARAM_TEXTURE, 2.0, NULL));
  g_assert_false (restore_param_check_double (RESTORE_PARAM_TEXTURE, 2.5, &error));
  g_assert_cmpstr (error->message, ==, "texture must be between 0 and 2, got 2.5");
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/texture/matches", test_texture_matches);
  g_test_add_func ("/pipeline/texture/only-wide", test_texture_only_wide);
  g_test_add_func ("/pipeline/texture/repeatable", test_texture_repeatable);
  g_test_add_func ("/pipeline/texture/threads", test_texture_threads);
  g_test_add_func ("/pipeline/texture/corner", test_texture_corner);
  g_test_add_func ("/pipeline/texture/max-area", test_texture_max_area);
  g_test_add_func ("/pipeline/texture/cancel", test_texture_cancel);
  g_test_add_func ("/pipeline/texture/param", test_texture_param);
  return g_test_run ();
}
