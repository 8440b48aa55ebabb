/* gimp-restore GIMP tests: compares the PNG files a Script-Fu case saved.
 *
 *   compare-layers NAME ORIGINAL DAMAGED RESULT MASK MIN_GAIN_DB
 *
 * Prints TAP lines ("ok" / "not ok") for:
 *   NAME-unmasked-equal  every pixel with mask 0 is the same in RESULT as in
 *                        DAMAGED (the layer the plug-in restored);
 *   NAME-masked-psnr     inside the mask, PSNR (RESULT vs ORIGINAL) is at
 *                        least MIN_GAIN_DB above PSNR (DAMAGED vs ORIGINAL).
 * The mask is a gray or RGB PNG, 0 = outside.  Exit status 0 when both pass.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

static GdkPixbuf *
load_rgba (const char *path)
{
  GError    *error = NULL;
  GdkPixbuf *pixbuf = gdk_pixbuf_new_from_file (path, &error);
  GdkPixbuf *rgba;

  if (pixbuf == NULL)
    {
      printf ("# cannot read %s: %s\n", path, error->message);
      g_error_free (error);
      return NULL;
    }
  rgba = gdk_pixbuf_add_alpha (pixbuf, FALSE, 0, 0, 0);
  g_object_unref (pixbuf);
  return rgba;
}

static const guchar *
pixel (GdkPixbuf *pixbuf,
       int        x,
       int        y)
{
  return gdk_pixbuf_get_pixels (pixbuf)
         + (gsize) y * gdk_pixbuf_get_rowstride (pixbuf) + (gsize) x * 4;
}

static double
psnr (double sum_sq,
      gsize  count)
{
  double mse = count ? sum_sq / count : 0.0;

  return mse > 0.0 ? 10.0 * log10 (255.0 * 255.0 / mse) : 99.0;
}

int
main (int    argc,
      char **argv)
{
  GdkPixbuf *orig, *damaged, *result, *mask;
  double     min_gain, sq_damaged = 0.0, sq_result = 0.0;
  double     p_damaged, p_result;
  gsize      n_in = 0, n_out = 0, n_changed_out = 0;
  int        width, height, x, y, c, failed = 0;

  if (argc != 7)
    {
      fprintf (stderr, "usage: %s NAME ORIGINAL DAMAGED RESULT MASK MIN_GAIN_DB\n", argv[0]);
      return 2;
    }
  min_gain = g_ascii_strtod (argv[6], NULL);
  orig = load_rgba (argv[2]);
  damaged = load_rgba (argv[3]);
  result = load_rgba (argv[4]);
  mask = load_rgba (argv[5]);
  if (! orig || ! damaged || ! result || ! mask)
    {
      printf ("not ok %s-unmasked-equal: missing file\n", argv[1]);
      printf ("not ok %s-masked-psnr: missing file\n", argv[1]);
      return 1;
    }
  width = gdk_pixbuf_get_width (orig);
  height = gdk_pixbuf_get_height (orig);
  if (gdk_pixbuf_get_width (result) != width || gdk_pixbuf_get_height (result) != height
      || gdk_pixbuf_get_width (damaged) != width || gdk_pixbuf_get_height (damaged) != height
      || gdk_pixbuf_get_width (mask) != width || gdk_pixbuf_get_height (mask) != height)
    {
      printf ("not ok %s-unmasked-equal: sizes differ\n", argv[1]);
      printf ("not ok %s-masked-psnr: sizes differ\n", argv[1]);
      return 1;
    }

  for (y = 0; y < height; y++)
    for (x = 0; x < width; x++)
      {
        const guchar *o = pixel (orig, x, y);
        const guchar *d = pixel (damaged, x, y);
        const guchar *r = pixel (result, x, y);

        if (pixel (mask, x, y)[0] == 0)
          {
            n_out++;
            for (c = 0; c < 4; c++)
              if (r[c] != d[c])
                {
                  n_changed_out++;
                  break;
                }
            continue;
          }
        n_in++;
        for (c = 0; c < 3; c++)
          {
            sq_damaged += (double) (d[c] - o[c]) * (d[c] - o[c]);
            sq_result += (double) (r[c] - o[c]) * (r[c] - o[c]);
          }
      }

  if (n_out > 0 && n_changed_out == 0)
    printf ("ok %s-unmasked-equal (%" G_GSIZE_FORMAT " pixels)\n", argv[1], n_out);
  else
    {
      printf ("not ok %s-unmasked-equal: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
              " pixels outside the mask changed\n", argv[1], n_changed_out, n_out);
      failed = 1;
    }

  p_damaged = psnr (sq_damaged, n_in * 3);
  p_result = psnr (sq_result, n_in * 3);
  if (n_in > 0 && p_result >= p_damaged + min_gain)
    printf ("ok %s-masked-psnr (%.2f dB, damaged %.2f dB, %" G_GSIZE_FORMAT " pixels)\n",
            argv[1], p_result, p_damaged, n_in);
  else
    {
      printf ("not ok %s-masked-psnr: %.2f dB vs damaged %.2f dB over %" G_GSIZE_FORMAT
              " pixels, wanted a gain of %.1f dB\n", argv[1], p_result, p_damaged, n_in, min_gain);
      failed = 1;
    }

  g_object_unref (orig);
  g_object_unref (damaged);
  g_object_unref (result);
  g_object_unref (mask);
  return failed;
}
