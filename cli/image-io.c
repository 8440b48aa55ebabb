/* gimp-restore: image files for the command (see image-io.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <tiffio.h>

#include "image-io.h"

G_STATIC_ASSERT (RESTORE_IO_ERROR_COUNT == 6);
G_STATIC_ASSERT (RESTORE_IO_FORMAT_COUNT == 3);

/* Images larger than this many pixels are refused before any allocation
 * (a 4 GiB float buffer for RGBA). */
#define MAX_PIXELS ((gsize) 1 << 28)

G_DEFINE_QUARK (restore-io-error-quark, restore_io_error)

/**
 * restore_io_image_new:
 * Returns a new image with zeroed pixels, or NULL when the buffer cannot
 * be allocated.  Free with restore_io_image_free().
 */
RestoreIoImage *
restore_io_image_new (int width,
                      int height,
                      int channels,
                      int bit_depth)
{
  RestoreIoImage *image;
  gsize           n;

  g_return_val_if_fail (width > 0 && height > 0, NULL);
  g_return_val_if_fail (channels >= 1 && channels <= 4, NULL);
  g_return_val_if_fail (bit_depth == 8 || bit_depth == 16 || bit_depth == 32, NULL);

  if (!g_size_checked_mul (&n, (gsize) width, (gsize) height)
      || n > MAX_PIXELS)
    return NULL;
  image = g_new0 (RestoreIoImage, 1);
  image->data = g_try_malloc0_n (n * channels, sizeof (float));
  if (image->data == NULL)
    {
      g_free (image);
      return NULL;
    }
  image->width = width;
  image->height = height;
  image->channels = channels;
  image->bit_depth = bit_depth;
  return image;
}

/**
 * restore_io_image_free:
 * Frees @image and its pixels; NULL is allowed.
 */
void
restore_io_image_free (RestoreIoImage *image)
{
  if (image == NULL)
    return;
  g_free (image->data);
  g_free (image);
}

static RestoreIoImage *
io_image_alloc (const char *path,
                guint32     width,
                guint32     height,
                int         channels,
                int         bit_depth,
                GError    **error)
{
  RestoreIoImage *image = NULL;

  if (width == 0 || height == 0)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                   "'%s' has no pixels", path);
      return NULL;
    }
  if (width <= G_MAXINT && height <= G_MAXINT)
    image = restore_io_image_new ((int) width, (int) height, channels, bit_depth);
  if (image == NULL)
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                 "'%s' is too large (%ux%u pixels)", path, width, height);
  return image;
}

/* Sample conversion.  Exact round trip: (float) v / max * max rounds
 * back to v for every 8- and 16-bit v. */
static inline float
io_from_u8 (guint8 v)
{
  return v / 255.0f;
}

static inline float
io_from_u16 (guint16 v)
{
  return v / 65535.0f;
}

static inline guint8
io_to_u8 (float x)
{
  if (!(x > 0.0f))
    return 0;
  if (x >= 1.0f)
    return 255;
  return (guint8) lrintf (x * 255.0f);
}

static inline guint16
io_to_u16 (float x)
{
  if (!(x > 0.0f))
    return 0;
  if (x >= 1.0f)
    return 65535;
  return (guint16) lrintf (x * 65535.0f);
}

static gboolean
io_cancelled (const gint *cancel,
              GError    **error)
{
  if (cancel != NULL && g_atomic_int_get (cancel))
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE, "cancelled");
      return TRUE;
    }
  return FALSE;
}

/* ---------------------------------------------------------------- PNG */

typedef struct
{
  jmp_buf jmp;
  char    message[256];
} IoPngError;

static void
io_png_error (png_structp      png,
              png_const_charp  message)
{
  IoPngError *err = png_get_error_ptr (png);

  g_strlcpy (err->message, message, sizeof err->message);
  longjmp (err->jmp, 1);
}

static void
io_png_warning (png_structp      png,
                png_const_charp  message)
{
}

static RestoreIoImage *
io_png_load (FILE       *fp,
             const char *path,
             GError    **error)
{
  IoPngError               err = { 0 };
  png_structp              png;
  png_infop                info;
  RestoreIoImage *volatile image = NULL;
  guint8 *volatile         pixels = NULL;
  png_bytep *volatile      rows = NULL;

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &err,
                                io_png_error, io_png_warning);
  info = png ? png_create_info_struct (png) : NULL;
  if (info == NULL)
    {
      png_destroy_read_struct (png ? &png : NULL, NULL, NULL);
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                   "cannot read '%s': out of memory", path);
      return NULL;
    }

  if (setjmp (err.jmp))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                     "cannot read PNG '%s': %s", path, err.message);
      restore_io_image_free (image);
      g_free (pixels);
      g_free (rows);
      png_destroy_read_struct (&png, &info, NULL);
      return NULL;
    }

  png_init_io (png, fp);
  png_read_info (png, info);
  {
    int      color_type = png_get_color_type (png, info);
    int      depth = png_get_bit_depth (png, info);
    guint32  width = png_get_image_width (png, info);
    guint32  height = png_get_image_height (png, info);
    int      channels;
    gsize    rowbytes;
    gsize    n;
    guint32  y;

    if (color_type == PNG_COLOR_TYPE_PALETTE)
      png_set_palette_to_rgb (png);
    if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8)
      png_set_expand_gray_1_2_4_to_8 (png);
    if (png_get_valid (png, info, PNG_INFO_tRNS))
      png_set_tRNS_to_alpha (png);
    png_set_interlace_handling (png);
    png_read_update_info (png, info);

    channels = png_get_channels (png, info);
    depth = png_get_bit_depth (png, info);
    rowbytes = png_get_rowbytes (png, info);
    if (channels < 1 || channels > 4 || (depth != 8 && depth != 16))
      {
        g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                     "PNG '%s' has an unsupported layout (%d channels, %d bits)",
                     path, channels, depth);
        longjmp (err.jmp, 1);
      }
    image = io_image_alloc (path, width, height, channels, depth, error);
    if (image == NULL)
      longjmp (err.jmp, 1);

    if (!g_size_checked_mul (&n, rowbytes, height)
        || (pixels = g_try_malloc (n)) == NULL)
      {
        g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                     "'%s' is too large (%ux%u pixels)", path, width, height);
        longjmp (err.jmp, 1);
      }
    rows = g_new (png_bytep, height);
    for (y = 0; y < height; y++)
      rows[y] = pixels + y * rowbytes;
    png_read_image (png, rows);
    png_read_end (png, NULL);

    n = (gsize) width * height * channels;
    if (depth == 8)
      for (gsize i = 0; i < n; i++)
        image->data[i] = io_from_u8 (pixels[i]);
    else
      for (gsize i = 0; i < n; i++)
        image->data[i] = io_from_u16 ((guint16) (pixels[2 * i] << 8 | pixels[2 * i + 1]));
  }

  g_free (pixels);
  g_free (rows);
  png_destroy_read_struct (&png, &info, NULL);
  return image;
}

static gboolean
io_png_save (const RestoreIoImage *image,
             FILE                 *fp,
             const char           *path,
             const gint           *cancel,
             GError              **error)
{
  static const int color_types[] = {
    PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
    PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA
  };
  IoPngError       err = { 0 };
  png_structp      png;
  png_infop        info;
  guint8 *volatile row = NULL;
  int              depth = image->bit_depth >= 16 ? 16 : 8;
  gsize            n = (gsize) image->width * image->channels;

  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &err,
                                 io_png_error, io_png_warning);
  info = png ? png_create_info_struct (png) : NULL;
  if (info == NULL)
    {
      png_destroy_write_struct (png ? &png : NULL, NULL);
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                   "cannot write '%s': out of memory", path);
      return FALSE;
    }
  if (setjmp (err.jmp))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                     "cannot write PNG '%s': %s", path, err.message);
      g_free (row);
      png_destroy_write_struct (&png, &info);
      return FALSE;
    }

  png_init_io (png, fp);
  png_set_IHDR (png, info, image->width, image->height, depth,
                color_types[image->channels - 1], PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  row = g_malloc (n * (depth / 8));
  for (int y = 0; y < image->height; y++)
    {
      const float *src = image->data + y * n;

      if (io_cancelled (cancel, error))
        longjmp (err.jmp, 1);
      if (depth == 8)
        for (gsize i = 0; i < n; i++)
          row[i] = io_to_u8 (src[i]);
      else
        for (gsize i = 0; i < n; i++)
          {
            guint16 v = io_to_u16 (src[i]);

            row[2 * i] = v >> 8;
            row[2 * i + 1] = v & 0xff;
          }
      png_write_row (png, row);
    }
  png_write_end (png, info);
  g_free (row);
  png_destroy_write_struct (&png, &info);
  return TRUE;
}

/* --------------------------------------------------------------- JPEG */

typedef struct
{
  struct jpeg_error_mgr pub;
  jmp_buf               jmp;
  char                  message[JMSG_LENGTH_MAX];
} IoJpegError;

static void
io_jpeg_error_exit (j_common_ptr cinfo)
{
  IoJpegError *err = (IoJpegError *) cinfo->err;

  err->pub.format_message (cinfo, err->message);
  longjmp (err->jmp, 1);
}

/* Warnings are quiet, except that a file cut short (which libjpeg fills
 * with gray and only warns about) is an error. */
static void
io_jpeg_emit_message (j_common_ptr cinfo,
                      int          level)
{
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF)
    io_jpeg_error_exit (cinfo);
}

static RestoreIoImage *
io_jpeg_load (FILE       *fp,
              const char *path,
              GError    **error)
{
  struct jpeg_decompress_struct cinfo;
  IoJpegError                   err;
  RestoreIoImage *volatile      image = NULL;
  guint8 *volatile              row = NULL;

  memset (&err, 0, sizeof err);
  cinfo.err = jpeg_std_error (&err.pub);
  err.pub.error_exit = io_jpeg_error_exit;
  err.pub.emit_message = io_jpeg_emit_message;
  if (setjmp (err.jmp))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                     "cannot read JPEG '%s': %s", path, err.message);
      restore_io_image_free (image);
      g_free (row);
      jpeg_destroy_decompress (&cinfo);
      return NULL;
    }
  jpeg_create_decompress (&cinfo);
  jpeg_stdio_src (&cinfo, fp);
  jpeg_read_header (&cinfo, TRUE);
  switch (cinfo.jpeg_color_space)
    {
    case JCS_GRAYSCALE:
      cinfo.out_color_space = JCS_GRAYSCALE;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "JPEG '%s' is CMYK; only gray and RGB are supported", path);
      longjmp (err.jmp, 1);
    default:
      cinfo.out_color_space = JCS_RGB;
      break;
    }
  jpeg_start_decompress (&cinfo);
  image = io_image_alloc (path, cinfo.output_width, cinfo.output_height,
                          cinfo.output_components, 8, error);
  if (image == NULL)
    longjmp (err.jmp, 1);
  {
    gsize n = (gsize) image->width * image->channels;

    row = g_malloc (n);
    while (cinfo.output_scanline < cinfo.output_height)
      {
        float   *dst = image->data + cinfo.output_scanline * n;
        JSAMPROW rows[1] = { row };

        jpeg_read_scanlines (&cinfo, rows, 1);
        for (gsize i = 0; i < n; i++)
          dst[i] = io_from_u8 (row[i]);
      }
  }
  jpeg_finish_decompress (&cinfo);
  jpeg_destroy_decompress (&cinfo);
  g_free (row);
  return image;
}

static gboolean
io_jpeg_save (const RestoreIoImage *image,
              FILE                 *fp,
              const char           *path,
              const gint           *cancel,
              GError              **error)
{
  struct jpeg_compress_struct cinfo;
  IoJpegError                 err;
  guint8 *volatile            row = NULL;
  gsize                       n = (gsize) image->width * image->channels;

  g_return_val_if_fail (image->channels == 1 || image->channels == 3, FALSE);

  memset (&err, 0, sizeof err);
  cinfo.err = jpeg_std_error (&err.pub);
  err.pub.error_exit = io_jpeg_error_exit;
  if (setjmp (err.jmp))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                     "cannot write JPEG '%s': %s", path, err.message);
      g_free (row);
      jpeg_destroy_compress (&cinfo);
      return FALSE;
    }
  jpeg_create_compress (&cinfo);
  jpeg_stdio_dest (&cinfo, fp);
  cinfo.image_width = image->width;
  cinfo.image_height = image->height;
  cinfo.input_components = image->channels;
  cinfo.in_color_space = image->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, 95, TRUE);
  jpeg_start_compress (&cinfo, TRUE);
  row = g_malloc (n);
  while (cinfo.next_scanline < cinfo.image_height)
    {
      const float *src = image->data + cinfo.next_scanline * n;
      JSAMPROW     rows[1] = { row };

      if (io_cancelled (cancel, error))
        longjmp (err.jmp, 1);
      for (gsize i = 0; i < n; i++)
        row[i] = io_to_u8 (src[i]);
      jpeg_write_scanlines (&cinfo, rows, 1);
    }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  g_free (row);
  return TRUE;
}

/* --------------------------------------------------------------- TIFF */

/* libtiff reports through process-wide handlers; the command reads and
 * writes one file at a time, so the last message is kept here. */
static char io_tiff_message[512];

static void
io_tiff_error (const char *module,
               const char *fmt,
               va_list     args)
{
  g_vsnprintf (io_tiff_message, sizeof io_tiff_message, fmt, args);
}

static void
io_tiff_warning (const char *module,
                 const char *fmt,
                 va_list     args)
{
}

static void
io_tiff_init (void)
{
  TIFFSetErrorHandler (io_tiff_error);
  TIFFSetWarningHandler (io_tiff_warning);
  io_tiff_message[0] = '\0';
}

/* Copies @rows rows of @cols pixels of one decoded strip or tile (@src,
 * @src_stride bytes a row, @src_spp samples a pixel starting at sample
 * @sample) into the contiguous raw image @dst at (@x, @y). */
static void
io_tiff_copy_block (guint8       *dst,
                    guint32       dst_width,
                    int           spp,
                    int           bytes,
                    const guint8 *src,
                    gsize         src_stride,
                    int           src_spp,
                    int           sample,
                    guint32       x,
                    guint32       y,
                    guint32       cols,
                    guint32       rows)
{
  for (guint32 r = 0; r < rows; r++)
    {
      const guint8 *s = src + r * src_stride;
      guint8       *d = dst + (((gsize) (y + r) * dst_width + x) * spp) * bytes;

      if (src_spp == spp)
        memcpy (d, s, (gsize) cols * spp * bytes);
      else
        for (guint32 c = 0; c < cols; c++)
          memcpy (d + ((gsize) c * spp + sample) * bytes, s + (gsize) c * bytes, bytes);
    }
}

static RestoreIoImage *
io_tiff_load (const char *path,
              GError    **error)
{
  TIFF           *tif;
  RestoreIoImage *image = NULL;
  guint8         *raw = NULL;
  guint8         *buf = NULL;
  guint32         width = 0, height = 0;
  guint16         spp = 1, bps = 1, format = SAMPLEFORMAT_UINT;
  guint16         planar = PLANARCONFIG_CONTIG, photometric, compression = 1;
  guint16         n_extra = 0;
  guint16        *extra = NULL;
  int             channels, bytes, planes;
  gboolean        invert = FALSE;
  gboolean        ok = FALSE;
  gsize           npix;

  io_tiff_init ();
  tif = TIFFOpen (path, "r");
  if (tif == NULL)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                   "cannot read TIFF '%s': %s", path,
                   io_tiff_message[0] ? io_tiff_message : "not a valid TIFF file");
      return NULL;
    }

  TIFFGetField (tif, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField (tif, TIFFTAG_IMAGELENGTH, &height);
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted (tif, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted (tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted (tif, TIFFTAG_COMPRESSION, &compression);
  TIFFGetFieldDefaulted (tif, TIFFTAG_EXTRASAMPLES, &n_extra, &extra);
  if (!TIFFGetField (tif, TIFFTAG_PHOTOMETRIC, &photometric))
    photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;

  if (photometric == PHOTOMETRIC_YCBCR && compression == COMPRESSION_JPEG)
    {
      /* libtiff's JPEG codec converts to RGB itself. */
      TIFFSetField (tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
      photometric = PHOTOMETRIC_RGB;
    }
  if (photometric == PHOTOMETRIC_MINISWHITE)
    invert = TRUE;
  if (!((photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE)
        && spp >= 1 && spp <= 2)
      && !(photometric == PHOTOMETRIC_RGB && spp >= 3 && spp <= 4))
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "TIFF '%s' has an unsupported layout (photometric %u, %u "
                   "samples a pixel); gray, gray + alpha, RGB and RGBA are supported",
                   path, photometric, spp);
      goto out;
    }
  if (!((format == SAMPLEFORMAT_UINT && (bps == 8 || bps == 16))
        || (format == SAMPLEFORMAT_IEEEFP && bps == 32)))
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "TIFF '%s' has %u-bit %s samples; 8- and 16-bit integer "
                   "and 32-bit float samples are supported", path, bps,
                   format == SAMPLEFORMAT_IEEEFP ? "float"
                   : format == SAMPLEFORMAT_INT ? "signed" : "integer");
      goto out;
    }
  if (planar != PLANARCONFIG_CONTIG && planar != PLANARCONFIG_SEPARATE)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                   "TIFF '%s' has an invalid planar configuration %u", path, planar);
      goto out;
    }

  channels = spp;
  bytes = bps / 8;
  planes = planar == PLANARCONFIG_SEPARATE ? spp : 1;
  image = io_image_alloc (path, width, height, channels, bps, error);
  if (image == NULL)
    goto out;
  npix = (gsize) width * height;
  raw = g_try_malloc (npix * channels * bytes);
  if (raw == NULL)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "'%s' is too large (%ux%u pixels)", path, width, height);
      goto out;
    }

  if (TIFFIsTiled (tif))
    {
      guint32 tw = 0, th = 0;
      tmsize_t size = TIFFTileSize (tif);
      int      src_spp = planes == 1 ? spp : 1;

      TIFFGetField (tif, TIFFTAG_TILEWIDTH, &tw);
      TIFFGetField (tif, TIFFTAG_TILELENGTH, &th);
      if (tw == 0 || th == 0 || size <= 0
          || (gsize) size < (gsize) tw * th * src_spp * bytes)
        {
          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                       "TIFF '%s' has invalid tiles", path);
          goto out;
        }
      buf = g_malloc (size);
      for (int p = 0; p < planes; p++)
        for (guint32 y = 0; y < height; y += th)
          for (guint32 x = 0; x < width; x += tw)
            {
              if (TIFFReadTile (tif, buf, x, y, 0, p) < 0)
                {
                  g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                               "cannot read TIFF '%s': %s", path,
                               io_tiff_message[0] ? io_tiff_message : "bad tile");
                  goto out;
                }
              io_tiff_copy_block (raw, width, spp, bytes, buf,
                                  (gsize) tw * src_spp * bytes, src_spp, p, x, y,
                                  MIN (tw, width - x), MIN (th, height - y));
            }
    }
  else
    {
      guint32  rps = 0;
      tmsize_t size = TIFFStripSize (tif);
      int      src_spp = planes == 1 ? spp : 1;

      TIFFGetFieldDefaulted (tif, TIFFTAG_ROWSPERSTRIP, &rps);
      if (rps == 0 || rps > height)
        rps = height;
      if (size <= 0 || (gsize) size < (gsize) rps * width * src_spp * bytes)
        {
          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                       "TIFF '%s' has invalid strips", path);
          goto out;
        }
      buf = g_malloc (size);
      for (int p = 0; p < planes; p++)
        for (guint32 y = 0; y < height; y += rps)
          {
            guint32 rows = MIN (rps, height - y);
            tstrip_t strip = TIFFComputeStrip (tif, y, p);

            if (TIFFReadEncodedStrip (tif, strip, buf,
                                      (tmsize_t) rows * width * src_spp * bytes) < 0)
              {
                g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                             "cannot read TIFF '%s': %s", path,
                             io_tiff_message[0] ? io_tiff_message : "bad strip");
                goto out;
              }
            io_tiff_copy_block (raw, width, spp, bytes, buf,
                                (gsize) width * src_spp * bytes, src_spp, p, 0, y,
                                width, rows);
          }
    }

  {
    gsize n = npix * channels;
    int   color = photometric == PHOTOMETRIC_RGB ? 3 : 1;

    for (gsize i = 0; i < n; i++)
      {
        float v;

        if (bps == 8)
          v = io_from_u8 (raw[i]);
        else if (bps == 16)
          v = io_from_u16 (((const guint16 *) raw)[i]);
        else
          v = ((const float *) raw)[i];
        if (invert && (int) (i % channels) < color)
          v = bps == 8 ? io_from_u8 (255 - raw[i])
              : bps == 16 ? io_from_u16 (65535 - ((const guint16 *) raw)[i])
              : 1.0f - v;
        image->data[i] = v;
      }
  }
  ok = TRUE;

out:
  TIFFClose (tif);
  g_free (raw);
  g_free (buf);
  if (!ok)
    {
      restore_io_image_free (image);
      return NULL;
    }
  return image;
}

static gboolean
io_tiff_save (const RestoreIoImage *image,
              int                   fd,
              const char           *tmp_path,
              const char           *path,
              const gint           *cancel,
              GError              **error)
{
  TIFF    *tif;
  gsize    n = (gsize) image->width * image->channels;
  int      bps = image->bit_depth;
  int      color = image->channels >= 3 ? 3 : 1;
  guint8  *row;
  gboolean ok = TRUE;

  io_tiff_init ();
  tif = TIFFFdOpen (fd, tmp_path, "w");
  if (tif == NULL)
    {
      close (fd);
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                   "cannot write TIFF '%s': %s", path, io_tiff_message);
      return FALSE;
    }
  TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, (guint32) image->width);
  TIFFSetField (tif, TIFFTAG_IMAGELENGTH, (guint32) image->height);
  TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, (guint16) image->channels);
  TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, (guint16) bps);
  TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT,
                bps == 32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT);
  TIFFSetField (tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField (tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
  TIFFSetField (tif, TIFFTAG_PHOTOMETRIC,
                color == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
  if (image->channels == 2 || image->channels == 4)
    {
      guint16 extra[1] = { EXTRASAMPLE_UNASSALPHA };

      TIFFSetField (tif, TIFFTAG_EXTRASAMPLES, 1, extra);
    }
  if (TIFFIsCODECConfigured (COMPRESSION_ADOBE_DEFLATE))
    {
      TIFFSetField (tif, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
      TIFFSetField (tif, TIFFTAG_PREDICTOR,
                    bps == 32 ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL);
    }
  TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize (tif, 0));

  row = g_malloc (n * (bps / 8));
  for (int y = 0; ok && y < image->height; y++)
    {
      const float *src = image->data + y * n;

      if (io_cancelled (cancel, error))
        {
          ok = FALSE;
          break;
        }
      if (bps == 8)
        for (gsize i = 0; i < n; i++)
          row[i] = io_to_u8 (src[i]);
      else if (bps == 16)
        for (gsize i = 0; i < n; i++)
          ((guint16 *) row)[i] = io_to_u16 (src[i]);
      else
        memcpy (row, src, n * sizeof (float));
      if (TIFFWriteScanline (tif, row, y, 0) < 0)
        ok = FALSE;
    }
  if (ok && !TIFFFlush (tif))
    ok = FALSE;
  if (!ok && error != NULL && *error == NULL)
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                 "cannot write TIFF '%s': %s", path,
                 io_tiff_message[0] ? io_tiff_message : g_strerror (errno));
  TIFFClose (tif);
  g_free (row);
  return ok;
}

/* ------------------------------------------------------------- public */

/**
 * restore_io_image_load:
 * @path: a PNG, JPEG or TIFF file
 * Reads @path into float samples 0..1 (see image-io.h): PNG of any bit
 * depth and colour type (palettes and transparency become RGB/RGBA or
 * gray + alpha), 8-bit gray or RGB JPEG, TIFF with 8/16-bit integer or
 * 32-bit float samples, gray/RGB with an optional alpha, in strips or
 * tiles, contiguous or planar.
 * Returns a new image (free with restore_io_image_free()) or NULL with
 * @error set.
 */
RestoreIoImage *
restore_io_image_load (const char *path,
                       GError    **error)
{
  guint8          magic[8] = { 0 };
  FILE           *fp;
  gsize           got;
  RestoreIoImage *image;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                   "'%s' is a folder, not an image", path);
      return NULL;
    }
  fp = g_fopen (path, "rb");
  if (fp == NULL)
    {
      int saved = errno;

      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                   "cannot open '%s': %s", path, g_strerror (saved));
      return NULL;
    }
  got = fread (magic, 1, sizeof magic, fp);
  rewind (fp);

  if (got >= 8 && png_sig_cmp (magic, 0, 8) == 0)
    image = io_png_load (fp, path, error);
  else if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff)
    image = io_jpeg_load (fp, path, error);
  else if (got >= 4 && ((magic[0] == 'I' && magic[1] == 'I' && (magic[2] == 42 || magic[2] == 43) && magic[3] == 0)
                        || (magic[0] == 'M' && magic[1] == 'M' && magic[2] == 0 && (magic[3] == 42 || magic[3] == 43))))
    image = io_tiff_load (path, error);
  else
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_FORMAT,
                   got == 0 ? "'%s' is empty"
                   : "'%s' is not a PNG, JPEG or TIFF image", path);
      image = NULL;
    }
  fclose (fp);
  return image;
}

/**
 * restore_io_format_from_name:
 * Sets @format from the extension of @path (.png, .jpg, .jpeg, .tif,
 * .tiff, any case).  Returns FALSE with @error set for other names.
 */
gboolean
restore_io_format_from_name (const char      *path,
                             RestoreIoFormat *format,
                             GError         **error)
{
  const char *dot;
  char       *base;
  char       *ext;
  gboolean    ok = TRUE;

  g_return_val_if_fail (path != NULL && format != NULL, FALSE);

  base = g_path_get_basename (path);
  dot = strrchr (base, '.');
  ext = g_ascii_strdown (dot ? dot + 1 : "", -1);
  if (strcmp (ext, "png") == 0)
    *format = RESTORE_IO_FORMAT_PNG;
  else if (strcmp (ext, "jpg") == 0 || strcmp (ext, "jpeg") == 0)
    *format = RESTORE_IO_FORMAT_JPEG;
  else if (strcmp (ext, "tif") == 0 || strcmp (ext, "tiff") == 0)
    *format = RESTORE_IO_FORMAT_TIFF;
  else
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "cannot tell the format of '%s' from its name; "
                   "end it in .png, .jpg or .tif", path);
      ok = FALSE;
    }
  g_free (ext);
  g_free (base);
  return ok;
}

/**
 * restore_io_check_output:
 * @path: the output file
 * @channels: channels of the image to be written there
 * Checks, before any work is done, that an image with @channels can be
 * written to @path: a known extension, an existing folder, and no alpha
 * channel for JPEG.  Returns FALSE with @error set otherwise.
 */
gboolean
restore_io_check_output (const char *path,
                         int         channels,
                         GError    **error)
{
  RestoreIoFormat format;
  char           *dir;
  gboolean        ok = TRUE;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!restore_io_format_from_name (path, &format, error))
    return FALSE;
  dir = g_path_get_dirname (path);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                   "cannot write '%s': folder '%s' does not exist", path, dir);
      ok = FALSE;
    }
  else if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                   "cannot write '%s': it is a folder", path);
      ok = FALSE;
    }
  else if (format == RESTORE_IO_FORMAT_JPEG && (channels == 2 || channels == 4))
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "JPEG cannot hold the image's alpha channel; "
                   "write '%s' as .png or .tif instead", path);
      ok = FALSE;
    }
  g_free (dir);
  return ok;
}

/**
 * restore_io_image_save:
 * @image: the pixels; written with image->bit_depth where the format
 *         allows it (PNG: 8 or 16, JPEG: 8 at quality 95, TIFF: 8, 16 or
 *         32-bit float)
 * @path: the output; its extension picks the format
 * @cancel: (nullable): polled between rows; when set the write stops
 * Writes a temporary file next to @path and renames it over @path when
 * complete; on any failure the temporary file is removed and @path is
 * left as it was.  Returns FALSE with @error set on failure.
 */
gboolean
restore_io_image_save (const RestoreIoImage *image,
                       const char           *path,
                       const gint           *cancel,
                       GError              **error)
{
  RestoreIoFormat format;
  RestoreIoImage  view;
  char           *dir;
  char           *tmp;
  int             fd;
  gboolean        ok;

  g_return_val_if_fail (image != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!restore_io_check_output (path, image->channels, error)
      || !restore_io_format_from_name (path, &format, error))
    return FALSE;

  view = *image;
  if (format == RESTORE_IO_FORMAT_JPEG)
    view.bit_depth = 8;
  else if (format == RESTORE_IO_FORMAT_PNG && view.bit_depth > 16)
    view.bit_depth = 16;

  dir = g_path_get_dirname (path);
  tmp = g_build_filename (dir, ".gimp-restore-XXXXXX", NULL);
  g_free (dir);
  fd = g_mkstemp_full (tmp, O_RDWR, 0666);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                   "cannot write '%s': %s", path, g_strerror (saved));
      g_free (tmp);
      return FALSE;
    }
  {
    /* mkstemp creates 0600; give the output the usual permissions. */
    mode_t mask = umask (0);

    umask (mask);
    fchmod (fd, 0666 & ~mask);
  }

  if (format == RESTORE_IO_FORMAT_TIFF)
    ok = io_tiff_save (&view, fd, tmp, path, cancel, error);
  else
    {
      FILE *fp = fdopen (fd, "wb");

      if (fp == NULL)
        {
          close (fd);
          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                       "cannot write '%s': %s", path, g_strerror (errno));
          ok = FALSE;
        }
      else
        {
          if (format == RESTORE_IO_FORMAT_PNG)
            ok = io_png_save (&view, fp, path, cancel, error);
          else
            ok = io_jpeg_save (&view, fp, path, cancel, error);
          if (fflush (fp) != 0 && ok)
            {
              g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                           "cannot write '%s': %s", path, g_strerror (errno));
              ok = FALSE;
            }
          if (fclose (fp) != 0 && ok)
            {
              g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                           "cannot write '%s': %s", path, g_strerror (errno));
              ok = FALSE;
            }
        }
    }

  if (ok && io_cancelled (cancel, error))
    ok = FALSE;
  if (ok && g_rename (tmp, path) != 0)
    {
      int saved = errno;

      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                   "cannot write '%s': %s", path, g_strerror (saved));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (tmp);
  g_free (tmp);
  return ok;
}

/**
 * restore_io_mask_from_image:
 * @mask: a loaded mask image
 * @width, @height: the size of the image the mask is for
 * Turns @mask into a soft mask 0..1 (1 = restore), @width * @height
 * floats: gray masks give their value, colour masks their luminance
 * (Rec. 601), and an alpha channel multiplies in, so strokes on a
 * transparent layer work.  Returns a new buffer (g_free()) or NULL with
 * @error set when the sizes differ.
 */
float *
restore_io_mask_from_image (const RestoreIoImage *mask,
                            int                   width,
                            int                   height,
                            GError              **error)
{
  float *out;
  gsize  n;
  int    ch;

  g_return_val_if_fail (mask != NULL, NULL);

  if (mask->width != width || mask->height != height)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_SIZE,
                   "mask is %dx%d but image is %dx%d",
                   mask->width, mask->height, width, height);
      return NULL;
    }
  n = (gsize) width * height;
  ch = mask->channels;
  out = g_try_malloc_n (n, sizeof (float));
  if (out == NULL)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "not enough memory for a %dx%d mask", width, height);
      return NULL;
    }
  for (gsize i = 0; i < n; i++)
    {
      const float *p = mask->data + i * ch;
      double       v;

      if (ch >= 3)
        v = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      else
        v = p[0];
      if (ch == 2 || ch == 4)
        v *= p[ch - 1];
      out[i] = !(v > 0.0) ? 0.0f : v >= 1.0 ? 1.0f : (float) v;
    }
  return out;
}
