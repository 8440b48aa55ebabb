/* Tests of post-processing inside the mask (core/restore-post.c). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-post.h"

#define W 96
#define H 80

/* A smooth gradient with a vertical edge plus Gaussian noise of @sigma,
 * [channels, H, W]. */
static float *
make_image (int channels, double sigma, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  float *img = g_new (float, channels * W * H);
  int    c, x, y;

  for (c = 0; c < channels; c++)
    for (y = 0; y < H; y++)
      for (x = 0; x < W; x++)
        {
          double v = 0.3 + 0.002 * y + (x >= W / 2 ? 0.35 : 0.0) + 0.05 * c;
          double u1 = g_rand_double (rand), u2 = g_rand_double (rand);

          v += sigma * sqrt (-2.0 * log (u1 + 1e-12)) * cos (2.0 * G_PI * u2);
          img[(c * H + y) * W + x] = (float) CLAMP (v, 0.0, 1.0);
        }
  g_rand_free (rand);
  return img;
}

/* A hard rectangle [16, 80) x [12, 68). */
static float *
make_mask (void)
{
  float *m = g_new0 (float, W * H);
  int    x, y;

  for (y = 12; y < 68; y++)
    for (x = 16; x < 80; x++)
      m[y * W + x] = 1.0f;
  return m;
}

/* Variance of the residual from the clean image deep inside the mask,
 * away from the edge. */
static double
noise_variance (const float *img, const float *clean, int channels)
{
  double sum = 0.0, sum2 = 0.0;
  int    n = 0, c, x, y;

  for (c = 0; c < channels; c++)
    for (y = 20; y < 60; y++)
      for (x = 24; x < 72; x++)
        {
          double d;

          if (abs (x - W / 2) < 4)
            continue;
          d = img[(c * H + y) * W + x] - clean[(c * H + y) * W + x];
          sum += d;
          sum2 += d * d;
          n++;
        }
  return sum2 / n - (sum / n) * (sum / n);
}

static double
gradient_energy (const float *img, int channels)
{
  double e = 0.0;
  int    c, x, y;

  for (c = 0; c < channels; c++)
    for (y = 20; y < 60; y++)
      for (x = 24; x < 72; x++)
        {
          double gx = img[(c * H + y) * W + x + 1] - img[(c * H + y) * W + x];
          double gy = img[(c * H + y + 1) * W + x] - img[(c * H + y) * W + x];

          e += gx * gx + gy * gy;
        }
  return e;
}

static void
assert_outside_untouched (const float *a, const float *b, const float *mask, int channels)
{
  int c, i;

  for (c = 0; c < channels; c++)
    for (i = 0; i < W * H; i++)
      if (mask[i] == 0.0f)
        g_assert_true (memcmp (&a[c * W * H + i], &b[c * W * H + i], sizeof (float)) == 0);
}

static void
test_post_denoise (void)
{
  int channels;

  for (channels = 1; channels <= 3; channels += 2)
    {
      float *clean = make_image (channels, 0.0, 1);
      float *noisy = make_image (channels, 0.05, 1);
      float *img = g_memdup2 (noisy, sizeof (float) * channels * W * H);
      float *mask = make_mask ();
      double before, after;

      restore_post_apply (img, mask, channels, W, H, 1.0, 0.0);
      before = noise_variance (noisy, clean, channels);
      after = noise_variance (img, clean, channels);
      g_test_message ("%d channels: noise variance %g -> %g", channels, before, after);
      g_assert_cmpfloat (after, <, 0.5 * before);
      assert_outside_untouched (img, noisy, mask, channels);
      /* The edge survives: the step across it stays above 0.25. */
      g_assert_cmpfloat (img[40 * W + W / 2 + 2] - img[40 * W + W / 2 - 3], >, 0.25);

      /* A weaker setting removes less noise. */
      memcpy (img, noisy, sizeof (float) * channels * W * H);
      restore_post_apply (img, mask, channels, W, H, 0.2, 0.0);
      g_assert_cmpfloat (noise_variance (img, clean, channels), >, after);
      g_free (clean);
      g_free (noisy);
      g_free (img);
      g_free (mask);
    }
}

static void
test_post_sharpen (void)
{
  float *orig = make_image (3, 0.0, 2);
  float *img = g_memdup2 (orig, sizeof (float) * 3 * W * H);
  float *mask = make_mask ();
  double before, after;
  int    i;

  /* Blur the edge first so that there is something to sharpen. */
  for (i = 0; i < 3 * W * H; i++)
    if (i % W > 0 && i % W < W - 1)
      img[i] = (orig[i - 1] + orig[i] + orig[i + 1]) / 3.0f;
  memcpy (orig, img, sizeof (float) * 3 * W * H);
  before = gradient_energy (img, 3);
  restore_post_apply (img, mask, 3, W, H, 0.0, 1.0);
  after = gradient_energy (img, 3);
  g_test_message ("gradient energy %g -> %g", before, after);
  g_assert_cmpfloat (after, >, 1.2 * before);
  assert_outside_untouched (img, orig, mask, 3);
  for (i = 0; i < 3 * W * H; i++)
    {
      g_assert_cmpfloat (img[i], >=, 0.0f);
      g_assert_cmpfloat (img[i], <=, 1.0f);
    }
  g_free (orig);
  g_free (img);
  g_free (mask);
}

static void
test_post_zero (void)
{
  float *orig = make_image (3, 0.05, 3);
  float *img = g_memdup2 (orig, sizeof (float) * 3 * W * H);
  float *mask = make_mask ();

  restore_post_apply (img, mask, 3, W, H, 0.0, 0.0);
  g_assert_true (memcmp (img, orig, sizeof (float) * 3 * W * H) == 0);
  restore_post_denoise (img, 3, W, H, 0.0);
  restore_post_sharpen (img, 3, W, H, 0.0);
  g_assert_true (memcmp (img, orig, sizeof (float) * 3 * W * H) == 0);

  /* An empty mask changes nothing either. */
  memset (mask, 0, sizeof (float) * W * H);
  restore_post_apply (img, mask, 3, W, H, 1.0, 1.0);
  g_assert_true (memcmp (img, orig, sizeof (float) * 3 * W * H) == 0);
  g_free (orig);
  g_free (img);
  g_free (mask);
}

static void
test_post_soft_edge (void)
{
  float *orig = make_image (1, 0.05, 4);
  float *img = g_memdup2 (orig, sizeof (float) * W * H);
  float *mask = make_mask ();
  double edge = 0.0, inner = 0.0;
  int    y;

  /* The change fades in: smaller on the mask's first column than deep inside. */
  restore_post_apply (img, mask, 1, W, H, 1.0, 0.0);
  for (y = 20; y < 60; y++)
    {
      edge += fabs (img[y * W + 16] - orig[y * W + 16]);
      inner += fabs (img[y * W + 26] - orig[y * W + 26]);
    }
  g_assert_cmpfloat (edge, <, 0.8 * inner);
  assert_outside_untouched (img, orig, mask, 1);
  g_free (orig);
  g_free (img);
  g_free (mask);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/post/denoise", test_post_denoise);
  g_test_add_func ("/pipeline/post/sharpen", test_post_sharpen);
  g_test_add_func ("/pipeline/post/zero", test_post_zero);
  g_test_add_func ("/pipeline/post/soft-edge", test_post_soft_edge);
  return g_test_run ();
}
