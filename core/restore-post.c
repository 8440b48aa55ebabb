/* gimp-restore: denoise and sharpen inside the mask (see restore-post.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-post.h"

#define DENOISE_RADIUS   3
#define DENOISE_EPS_MAX  0.15   /* noise level (std. dev.) smoothed at strength 1 */
#define SHARPEN_AMOUNT   2.0    /* unsharp amount at strength 1 */
#define FEATHER_RADIUS   2

/* Box mean of radius @r over [h, w] with the window cut at the borders
 * (divided by the pixels it holds).  @tmp holds w * h floats; @dst may
 * equal @src. */
static void
box_mean (const float *src,
          float       *dst,
          float       *tmp,
          int          w,
          int          h,
          int          r)
{
  int x, y;

  for (y = 0; y < h; y++)
    {
      const float *s = src + (gsize) y * w;
      float       *t = tmp + (gsize) y * w;
      double       sum = 0.0;
      int          lo = 0, hi = 0;   /* window [lo, hi) */

      for (x = 0; x < w; x++)
        {
          int want_hi = MIN (w, x + r + 1), want_lo = MAX (0, x - r);

          while (hi < want_hi)
            sum += s[hi++];
          while (lo < want_lo)
            sum -= s[lo++];
          t[x] = (float) (sum / (hi - lo));
        }
    }
  for (x = 0; x < w; x++)
    {
      double sum = 0.0;
      int    lo = 0, hi = 0;

      for (y = 0; y < h; y++)
        {
          int want_hi = MIN (h, y + r + 1), want_lo = MAX (0, y - r);

          while (hi < want_hi)
            sum += tmp[(gsize) (hi++) * w + x];
          while (lo < want_lo)
            sum -= tmp[(gsize) (lo++) * w + x];
          dst[(gsize) y * w + x] = (float) (sum / (hi - lo));
        }
    }
}

/**
 * restore_post_denoise:
 * @img: [channels, height, width], filtered in place
 * @strength: 0..1; the guided filter's eps is (0.15 strength)^2
 * Each channel guides itself, so colour edges stay where they are.
 */
void
restore_post_denoise (float *img,
                      int    channels,
                      int    width,
                      int    height,
                      double strength)
{
  gsize  n = (gsize) width * height;
  float *mean, *mean2, *a, *b, *tmp;
  float  eps;
  int    c;
  gsize  i;

  g_return_if_fail (img != NULL && channels > 0 && width > 0 && height > 0);
  if (!(strength > 0.0))
    return;
  strength = MIN (strength, 1.0);
  eps = (float) (DENOISE_EPS_MAX * strength * DENOISE_EPS_MAX * strength);

  mean = g_new (float, n);
  mean2 = g_new (float, n);
  a = g_new (float, n);
  b = g_new (float, n);
  tmp = g_new (float, n);
  for (c = 0; c < channels; c++)
    {
      float *p = img + c * n;

      for (i = 0; i < n; i++)
        a[i] = p[i] * p[i];
      box_mean (p, mean, tmp, width, height, DENOISE_RADIUS);
      box_mean (a, mean2, tmp, width, height, DENOISE_RADIUS);
      for (i = 0; i < n; i++)
        {
          float var = MAX (mean2[i] - mean[i] * mean[i], 0.0f);

          a[i] = var / (var + eps);
          b[i] = mean[i] * (1.0f - a[i]);
        }
      box_mean (a, a, tmp, width, height, DENOISE_RADIUS);
      box_mean (b, b, tmp, width, height, DENOISE_RADIUS);
      for (i = 0; i < n; i++)
        p[i] = a[i] * p[i] + b[i];
    }
  g_free (mean);
  g_free (mean2);
  g_free (a);
  g_free (b);
  g_free (tmp);
}

/**
 * restore_post_sharpen:
 * @img: [channels, height, width], sharpened in place
 * @strength: 0..1; the unsharp amount is 2 strength over a blur of about
 *            one pixel (two box passes of radius 1)
 */
void
restore_post_sharpen (float *img,
                      int    channels,
                      int    width,
                      int    height,
                      double strength)
{
  gsize  n = (gsize) width * height;
  float *blur, *tmp;
  float  amount;
  int    c;
  gsize  i;

  g_return_if_fail (img != NULL && channels > 0 && width > 0 && height > 0);
  if (!(strength > 0.0))
    return;
  amount = (float) (SHARPEN_AMOUNT * MIN (strength, 1.0));

  blur = g_new (float, n);
  tmp = g_new (float, n);
  for (c = 0; c < channels; c++)
    {
      float *p = img + c * n;

      box_mean (p, blur, tmp, width, height, 1);
      box_mean (blur, blur, tmp, width, height, 1);
      for (i = 0; i < n; i++)
        p[i] += amount * (p[i] - blur[i]);
    }
  g_free (blur);
  g_free (tmp);
}

/**
 * restore_post_apply:
 * @img: [channels, height, width], changed in place where @mask > 0
 * @mask: [height, width] soft mask
 * @denoise, @sharpen: strengths 0..1
 * Denoises then sharpens the part of @img within RESTORE_POST_MARGIN
 * pixels of the mask's bounding box and blends the result back with
 * weight m * feather (m), where feather is a small box blur of the mask:
 * full strength deep inside the mask, fading to nothing at its edge.
 * Pixels with mask 0 are not written.  Results are clamped to 0..1.
 */
void
restore_post_apply (float       *img,
                    const float *mask,
                    int          channels,
                    int          width,
                    int          height,
                    double       denoise,
                    double       sharpen)
{
  int    bx0 = width, by0 = height, bx1 = -1, by1 = -1;
  int    x, y, c, cw, ch;
  gsize  cn;
  float *crop, *m, *feather, *tmp;

  g_return_if_fail (img != NULL && mask != NULL);
  g_return_if_fail (channels > 0 && width > 0 && height > 0);
  if (!(denoise > 0.0) && !(sharpen > 0.0))
    return;

  for (y = 0; y < height; y++)
    for (x = 0; x < width; x++)
      if (mask[(gsize) y * width + x] > 0.0f)
        {
          bx0 = MIN (bx0, x);
          bx1 = MAX (bx1, x + 1);
          by0 = MIN (by0, y);
          by1 = y + 1;
        }
  if (bx1 < 0)
    return;
  bx0 = MAX (bx0 - RESTORE_POST_MARGIN, 0);
  by0 = MAX (by0 - RESTORE_POST_MARGIN, 0);
  bx1 = MIN (bx1 + RESTORE_POST_MARGIN, width);
  by1 = MIN (by1 + RESTORE_POST_MARGIN, height);
  cw = bx1 - bx0;
  ch = by1 - by0;
  cn = (gsize) cw * ch;

  crop = g_new (float, channels * cn);
  m = g_new (float, cn);
  feather = g_new (float, cn);
  tmp = g_new (float, cn);
  for (y = 0; y < ch; y++)
    {
      for (c = 0; c < channels; c++)
        memcpy (crop + c * cn + (gsize) y * cw,
                img + (gsize) c * width * height + (gsize) (y + by0) * width + bx0,
                cw * sizeof (float));
      for (x = 0; x < cw; x++)
        {
          float v = mask[(gsize) (y + by0) * width + x + bx0];

          m[(gsize) y * cw + x] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
        }
    }

  restore_post_denoise (crop, channels, cw, ch, denoise);
  restore_post_sharpen (crop, channels, cw, ch, sharpen);
  box_mean (m, feather, tmp, cw, ch, FEATHER_RADIUS);

  for (y = 0; y < ch; y++)
    for (x = 0; x < cw; x++)
      {
        gsize i = (gsize) y * cw + x;
        float k = m[i] * feather[i];

        if (!(m[i] > 0.0f))
          continue;
        for (c = 0; c < channels; c++)
          {
            float *p = img + (gsize) c * width * height + (gsize) (y + by0) * width + x + bx0;
            float  v = *p + k * (crop[c * cn + i] - *p);

            *p = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
          }
      }

  g_free (crop);
  g_free (m);
  g_free (feather);
  g_free (tmp);
}
