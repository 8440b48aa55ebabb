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
#include "image-png-idat.h"
#include "restore-ops.h"
#include "image-exif-private.h"

/* restore_io_set_threads() */
static gint io_threads = 0;

G_STATIC_ASSERT (RESTORE_IO_ERROR_COUNT == 6);
G_STATIC_ASSERT (RESTORE_IO_FORMAT_COUNT == 3);

/* The budgets an image's header is checked against before any pixel is
 * decoded (io_check_header()), so a small file that declares a huge
 * picture costs nothing: at most MAX_PIXELS pixels (268 megapixels,
 * 16384 x 16384; a 4 GiB float buffer for RGBA), and at most MAX_BYTES
 * for decoding it, the float pixels (4 bytes a sample) together with the
 * decoder's own buffer of the file's samples. */
#define MAX_PIXELS ((gsize) 1 << 28)
#define MAX_BYTES  ((guint64) 4 << 30)
/* the longest side the engine and the detector take (restore-engine.c,
 * restore-detect.c): a longer one is refused before it is decoded */
#define MAX_SIDE  (1u << 20)

/* What a load expects of the image: for a mask, the size of the image it
 * belongs to (0 x 0: any size). */
typedef struct
{
  const char *path;
  int         want_width;
  int         want_height;
} IoRequest;

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
  /* huge pages where the kernel gives them: a 12 MP image is 144 MB */
  image->data = restore_ops_alloc_floats (n * channels);
  if (image->data == NULL)
    {
      g_free (image);
      return NULL;
    }
  memset (image->data, 0, n * channels * sizeof (float));
  image->width = width;
  image->height = height;
  image->channels = channels;
  image->bit_depth = bit_depth;
  image->n_pages = 1;
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
  g_clear_pointer (&image->meta.icc, g_bytes_unref);
  g_clear_pointer (&image->meta.exif, g_bytes_unref);
  g_free (image->meta.pages_from);
  g_clear_pointer (&image->warnings, g_ptr_array_unref);
  g_free (image->data);
  g_free (image);
}

/**
 * restore_io_image_copy_meta:
 * @dst: an image made from @src (its restoration, or a mask of it)
 * @kind: RESTORE_IO_META_ALL gives @dst everything @src's file carried
 *        (resolution, ICC profile, EXIF, a TIFF's further pages);
 *        RESTORE_IO_META_LAYOUT the resolution and the orientation, which
 *        a gray mask needs to line up with @src, and the EXIF without its
 *        thumbnail (a picture of @src, not of the mask)
 * Replaces @dst's metadata by @src's.
 */
void
restore_io_image_copy_meta (RestoreIoImage       *dst,
                            const RestoreIoImage *src,
                            RestoreIoMetaKind     kind)
{
  const RestoreIoMeta *from;
  RestoreIoMeta       *to;

  g_return_if_fail (dst != NULL && src != NULL && dst != src);

  from = &src->meta;
  to = &dst->meta;
  g_clear_pointer (&to->icc, g_bytes_unref);
  g_clear_pointer (&to->exif, g_bytes_unref);
  g_clear_pointer (&to->pages_from, g_free);
  to->x_res = from->x_res;
  to->y_res = from->y_res;
  to->unit = from->unit;
  to->orientation = from->orientation;
  if (kind == RESTORE_IO_META_ALL)
    {
      to->icc = from->icc ? g_bytes_ref (from->icc) : NULL;
      to->exif = from->exif ? g_bytes_ref (from->exif) : NULL;
      to->pages_from = g_strdup (from->pages_from);
    }
  else if (from->exif != NULL)
    to->exif = restore_io_exif_without_thumbnail (from->exif);
}

/**
 * restore_io_meta_set_res:
 * Sets @meta's resolution unless it has one already: @x, @y pixels a
 * @unit; nonsense values (zero, negative, not finite, more than 10^9)
 * are ignored.
 */
void
restore_io_meta_set_res (RestoreIoMeta *meta,
                         double         x,
                         double         y,
                         RestoreIoUnit  unit)
{
  if (meta->x_res > 0.0 || !(x > 0.0 && y > 0.0) || !isfinite (x) || !isfinite (y)
      || x > 1e9 || y > 1e9)
    return;
  meta->x_res = x;
  meta->y_res = y;
  meta->unit = unit;
}

/* Checks the size an image's header declares, before anything is
 * decoded: the size a mask must have, then the pixel and byte budgets
 * (MAX_PIXELS, MAX_BYTES); @decoder_bytes is what the decoder holds
 * besides the float pixels. */
static gboolean
io_check_header (const IoRequest *req,
                 guint32          width,
                 guint32          height,
                 int              channels,
                 guint64          decoder_bytes,
                 GError         **error)
{
  guint64 pixels = (guint64) width * height;
  guint64 bytes;

  if (width == 0 || height == 0)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                   "'%s' has no pixels", req->path);
      return FALSE;
    }
  if (req->want_width > 0
      && (width != (guint32) req->want_width || height != (guint32) req->want_height))
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_SIZE,
                   "mask is %ux%u but image is %dx%d",
                   width, height, req->want_width, req->want_height);
      return FALSE;
    }
  if (width > MAX_SIDE || height > MAX_SIDE)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "'%s' is too large: %ux%u pixels, more than the limit of %u pixels a side",
                   req->path, width, height, MAX_SIDE);
      return FALSE;
    }
  if (pixels > MAX_PIXELS || width > G_MAXINT || height > G_MAXINT)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "'%s' is too large: %ux%u pixels, more than the limit of %" G_GUINT64_FORMAT
                   " pixels (268 megapixels, e.g. 16384x16384)",
                   req->path, width, height, (guint64) MAX_PIXELS);
      return FALSE;
    }
  bytes = pixels * channels * sizeof (float) + decoder_bytes;
  if (bytes > MAX_BYTES)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "'%s' is too large: decoding its %ux%u pixels (%d channels) takes "
                   "%.1f GiB, more than the limit of %d GiB",
                   req->path, width, height, channels, bytes / 1073741824.0,
                   (int) (MAX_BYTES >> 30));
      return FALSE;
    }
  return TRUE;
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
  char    message[256];      /* the error */
  char    warning[256];      /* the last warning */
  char    icc_warning[256];  /* the first warning about the iCCP chunk read */
} IoPngError;

static void
io_png_error (png_structp      png,
              png_const_charp  message)
{
  IoPngError *err = png_get_error_ptr (png);

  g_strlcpy (err->message, message, sizeof err->message);
  longjmp (err->jmp, 1);
}

/* libpng's warnings are kept here, never printed (libpng's own handler
 * would write them to stderr): most are about what it reads or writes
 * well anyway (a profile it knows to be a poor sRGB one, a gamma that
 * does not match the profile); what it leaves out the reader and the
 * writer say, with the warning as the reason (an ICC profile it
 * refuses). */
static void
io_png_warning (png_structp      png,
                png_const_charp  message)
{
  IoPngError *err = png_get_error_ptr (png);

  g_strlcpy (err->warning, message, sizeof err->warning);
  /* a chunk's warning on reading starts with the chunk's name */
  if (err->icc_warning[0] == '\0' && g_str_has_prefix (message, "iCCP: "))
    g_strlcpy (err->icc_warning, message + 6, sizeof err->icc_warning);
}

/* Adds a message to @warnings (see restore_io_image_save()); NULL is
 * allowed, and drops it. */
static void G_GNUC_PRINTF (2, 3)
io_warn (GPtrArray  *warnings,
         const char *format,
         ...)
{
  va_list args;

  if (warnings == NULL)
    return;
  va_start (args, format);
  g_ptr_array_add (warnings, g_strdup_vprintf (format, args));
  va_end (args);
}

/* The metres of an inch; a PNG's resolution is in pixels a metre. */
#define IO_INCH_M 0.0254

/* Reads the resolution, the ICC profile and the EXIF block of a PNG
 * read to its end into @meta. */
static void
io_png_read_meta (png_structp    png,
                  png_infop      info,
                  RestoreIoMeta *meta)
{
  png_uint_32 rx, ry, len;
  int         unit, compression;
  png_charp   name;
  png_bytep   data;

  if (png_get_pHYs (png, info, &rx, &ry, &unit) && rx > 0 && ry > 0)
    {
      if (unit == PNG_RESOLUTION_METER)
        {
          /* pixels a metre, to pixels an inch; a whole number of dots an
           * inch, which is what the pixels a metre were rounded from,
           * stays whole */
          double x = rx * IO_INCH_M, y = ry * IO_INCH_M;

          if (lrint (round (x) / IO_INCH_M) == (long) rx)
            x = round (x);
          if (lrint (round (y) / IO_INCH_M) == (long) ry)
            y = round (y);
          restore_io_meta_set_res (meta, x, y, RESTORE_IO_UNIT_INCH);
        }
      else
        restore_io_meta_set_res (meta, rx, ry, RESTORE_IO_UNIT_NONE);
    }
  if (png_get_iCCP (png, info, &name, &compression, &data, &len) && data != NULL && len > 0)
    meta->icc = g_bytes_new (data, len);
  if (png_get_eXIf_1 (png, info, &len, &data) && data != NULL && len > 0
      && restore_io_exif_parse (data, len, meta))
    meta->exif = g_bytes_new (data, len);
}

/* Writes @meta's resolution, ICC profile and EXIF block into the PNG
 * @path about to be written; a profile libpng refuses is said in
 * @warnings. */
static void
io_png_write_meta (png_structp          png,
                   png_infop            info,
                   IoPngError          *err,
                   const RestoreIoMeta *meta,
                   const char          *path,
                   GPtrArray           *warnings)
{
  GBytes *exif = restore_io_exif_for (meta);
  double  x = meta->x_res, y = meta->y_res;

  if (x > 0.0 && y > 0.0)
    {
      int unit = PNG_RESOLUTION_METER;

      double scale = 1.0;

      if (meta->unit == RESTORE_IO_UNIT_INCH)
        scale = 1.0 / IO_INCH_M;
      else if (meta->unit == RESTORE_IO_UNIT_CM)
        scale = 100.0;
      else
        unit = PNG_RESOLUTION_UNKNOWN;
      x *= scale;
      y *= scale;
      if (x >= 0.5 && y >= 0.5 && x < 2147483647.0 && y < 2147483647.0)
        png_set_pHYs (png, info, (png_uint_32) lrint (x), (png_uint_32) lrint (y), unit);
    }
  /* libpng checks the profile, and against the image (a gray image's
   * profile must be gray); one it refuses is left out with a warning
   * (benign errors), not a failed write, and said */
  if (meta->icc != NULL)
    {
      gsize         len;
      gconstpointer data = g_bytes_get_data (meta->icc, &len);

      err->warning[0] = '\0';
      if (len <= PNG_UINT_31_MAX)
        png_set_iCCP (png, info, "ICC profile", PNG_COMPRESSION_TYPE_BASE, data,
                      (png_uint_32) len);
      if (!png_get_valid (png, info, PNG_INFO_iCCP))
        io_warn (warnings, "'%s' is written without the ICC profile, which PNG does not "
                 "take: %s", path, err->warning[0] ? err->warning : "it is too large");
    }
  if (exif != NULL)
    {
      gsize         len;
      gconstpointer data = g_bytes_get_data (exif, &len);

      if (len <= PNG_UINT_31_MAX)
        png_set_eXIf_1 (png, info, (png_uint_32) len, (png_bytep) data);
      g_bytes_unref (exif);
    }
}

static RestoreIoImage *
io_png_load (FILE            *fp,
             const IoRequest *req,
             GError         **error)
{
  const char              *path = req->path;
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
  /* metadata chunks are held in memory whole: a bound on each */
  png_set_chunk_malloc_max (png, 16 << 20);
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
    /* the whole file's rows are decoded into one buffer */
    if (!io_check_header (req, width, height, channels,
                          (guint64) width * height * channels * (depth / 8), error))
      longjmp (err.jmp, 1);
    image = io_image_alloc (path, width, height, channels, depth, error);
    if (image == NULL)
      longjmp (err.jmp, 1);

    if (!g_size_checked_mul (&n, rowbytes, height)
        || (pixels = restore_ops_alloc (n)) == NULL)
      {
        g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                     "'%s' is too large (%ux%u pixels)", path, width, height);
        longjmp (err.jmp, 1);
      }
    rows = g_new (png_bytep, height);
    for (y = 0; y < height; y++)
      rows[y] = pixels + y * rowbytes;
    png_read_image (png, rows);
    /* the chunks after the pixels too: an eXIf may come there */
    png_read_end (png, info);
    io_png_read_meta (png, info, &image->meta);
    /* a profile libpng refused: no output of this image can hold it */
    if (image->meta.icc == NULL && err.icc_warning[0] != '\0')
      {
        image->warnings = g_ptr_array_new_with_free_func (g_free);
        io_warn (image->warnings, "the ICC profile of '%s' is left out, as it is not valid: %s",
                 path, err.icc_warning);
      }

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

/* Row @y of the image being written, as PNG stores it (io_png_save). */
typedef struct
{
  const RestoreIoImage *image;
  int                   depth;
} IoPngRows;

static void
io_png_row (gpointer data,
            int      y,
            guint8  *row)
{
  const IoPngRows *r = data;
  gsize            n = (gsize) r->image->width * r->image->channels;
  const float     *src = r->image->data + (gsize) y * n;

  if (r->depth == 8)
    for (gsize i = 0; i < n; i++)
      row[i] = io_to_u8 (src[i]);
  else
    for (gsize i = 0; i < n; i++)
      {
        guint16 v = io_to_u16 (src[i]);

        row[2 * i] = v >> 8;
        row[2 * i + 1] = v & 0xff;
      }
}

static gboolean
io_png_save (const RestoreIoImage *image,
             FILE                 *fp,
             const char           *path,
             const gint           *cancel,
             GPtrArray            *warnings,
             GError              **error)
{
  static const int color_types[] = {
    PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
    PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA
  };
  IoPngError             err = { 0 };
  png_structp            png;
  png_infop              info;
  IoIdatWriter *volatile writer = NULL;
  int                    depth = image->bit_depth >= 16 ? 16 : 8;
  IoPngRows              rows = { image, depth };
  const char            *failed = NULL;

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
      io_idat_writer_free (writer);
      png_destroy_write_struct (&png, &info);
      return FALSE;
    }

  png_init_io (png, fp);
  png_set_IHDR (png, info, image->width, image->height, depth,
                color_types[image->channels - 1], PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_benign_errors (png, 1);
  io_png_write_meta (png, info, &err, &image->meta, path, warnings);
  png_write_info (png, info);
  /* The pixels on all cores (image-png-idat.h): the Paeth filter on every
   * row at zlib level 4.  On a grainy 12 MP scan the file is 0.3 % larger
   * than libpng's default (level 6, each row's filter chosen by trying all
   * five) and written in 60 % of the time even on one core. */
  writer = io_idat_writer_new (image->height,
                               (gsize) image->width * image->channels * (depth / 8),
                               image->channels * (depth / 8), 4,
                               g_atomic_int_get (&io_threads), io_png_row, &rows);
  if (! io_idat_writer_run (writer, png, cancel, &failed))
    {
      if (failed == NULL)
        (void) io_cancelled (cancel, error);
      else
        g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                     "cannot write PNG '%s': %s", path, failed);
      longjmp (err.jmp, 1);
    }
  io_idat_writer_free (writer);
  writer = NULL;
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

/* Warnings are quiet, except that missing picture data, which libjpeg
 * fills with gray and only warns about, is an error: a file cut short
 * (JWRN_JPEG_EOF) or a scan that ends before the picture does, as in a
 * file whose header declares a larger picture than its data holds
 * (JWRN_HIT_MARKER, "premature end of data segment"). */
static void
io_jpeg_emit_message (j_common_ptr cinfo,
                      int          level)
{
  if (level < 0 && (cinfo->err->msg_code == JWRN_JPEG_EOF
                    || cinfo->err->msg_code == JWRN_HIT_MARKER))
    io_jpeg_error_exit (cinfo);
}

/* A progressive file may hold any number of scans, each a pass over the
 * whole picture: more than a real encoder writes is refused, so a small
 * file cannot keep the decoder busy for hours. */
#define IO_JPEG_MAX_SCANS 1000

static void
io_jpeg_progress (j_common_ptr cinfo)
{
  j_decompress_ptr dinfo = (j_decompress_ptr) cinfo;
  IoJpegError     *err = (IoJpegError *) cinfo->err;

  if (!cinfo->is_decompressor || dinfo->input_scan_number <= IO_JPEG_MAX_SCANS)
    return;
  g_snprintf (err->message, sizeof err->message,
              "more than %d scans", IO_JPEG_MAX_SCANS);
  longjmp (err->jmp, 1);
}

/* The start of an APP1 marker holding EXIF. */
#define IO_JPEG_EXIF_ID     "Exif\0\0"
#define IO_JPEG_EXIF_ID_LEN 6
/* The most data one marker holds. */
#define IO_JPEG_MARKER_MAX  65533

/* Reads the resolution (the JFIF density; else the EXIF resolution),
 * the ICC profile (APP2, which may be split over several markers) and
 * the EXIF block (APP1) of a JPEG whose header was read with its APP1
 * and APP2 markers saved. */
static void
io_jpeg_read_meta (j_decompress_ptr cinfo,
                   RestoreIoMeta   *meta)
{
  JOCTET      *icc = NULL;
  unsigned int icc_len = 0;

  if (cinfo->saw_JFIF_marker && (cinfo->density_unit == 1 || cinfo->density_unit == 2))
    restore_io_meta_set_res (meta, cinfo->X_density, cinfo->Y_density,
                             cinfo->density_unit == 1 ? RESTORE_IO_UNIT_INCH : RESTORE_IO_UNIT_CM);
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != NULL; m = m->next)
    if (m->marker == JPEG_APP0 + 1 && meta->exif == NULL
        && m->data_length > IO_JPEG_EXIF_ID_LEN
        && memcmp (m->data, IO_JPEG_EXIF_ID, IO_JPEG_EXIF_ID_LEN) == 0
        && restore_io_exif_parse (m->data + IO_JPEG_EXIF_ID_LEN,
                                  m->data_length - IO_JPEG_EXIF_ID_LEN, meta))
      meta->exif = g_bytes_new (m->data + IO_JPEG_EXIF_ID_LEN,
                                m->data_length - IO_JPEG_EXIF_ID_LEN);
  /* a JFIF aspect ratio without a unit, when it says more than square
   * pixels */
  if (cinfo->saw_JFIF_marker && cinfo->density_unit == 0
      && cinfo->X_density != cinfo->Y_density)
    restore_io_meta_set_res (meta, cinfo->X_density, cinfo->Y_density, RESTORE_IO_UNIT_NONE);
  if (jpeg_read_icc_profile (cinfo, &icc, &icc_len) && icc != NULL && icc_len > 0)
    meta->icc = g_bytes_new (icc, icc_len);
  free (icc);
}

/* Sets the JFIF density of a JPEG about to be written from @meta. */
static void
io_jpeg_set_density (j_compress_ptr       cinfo,
                     const RestoreIoMeta *meta)
{
  double x = meta->x_res, y = meta->y_res;

  if (!(x >= 0.5 && y >= 0.5 && x < 65535.5 && y < 65535.5))
    return;
  cinfo->write_JFIF_header = TRUE;
  cinfo->density_unit = meta->unit == RESTORE_IO_UNIT_INCH ? 1
                        : meta->unit == RESTORE_IO_UNIT_CM ? 2 : 0;
  cinfo->X_density = (UINT16) lrint (x);
  cinfo->Y_density = (UINT16) lrint (y);
}

/* The APP1 marker's data that carries @meta's EXIF block: "Exif\0\0" and
 * the block; NULL when there is none, or when it is larger than a marker
 * holds.  Unref the result. */
static GBytes *
io_jpeg_exif_marker (const RestoreIoMeta *meta)
{
  GBytes       *exif = restore_io_exif_for (meta);
  GByteArray   *marker;
  gsize         len;
  gconstpointer data;

  if (exif == NULL)
    return NULL;
  data = g_bytes_get_data (exif, &len);
  if (len > IO_JPEG_MARKER_MAX - IO_JPEG_EXIF_ID_LEN)
    {
      g_bytes_unref (exif);
      return NULL;
    }
  marker = g_byte_array_sized_new (IO_JPEG_EXIF_ID_LEN + len);
  g_byte_array_append (marker, (const guint8 *) IO_JPEG_EXIF_ID, IO_JPEG_EXIF_ID_LEN);
  g_byte_array_append (marker, data, len);
  g_bytes_unref (exif);
  return g_byte_array_free_to_bytes (marker);
}

/* Writes the EXIF marker (@exif_marker, from io_jpeg_exif_marker()) and
 * @meta's ICC profile (APP2 markers) after the header of a JPEG being
 * written. */
static void
io_jpeg_write_meta (j_compress_ptr       cinfo,
                    GBytes              *exif_marker,
                    const RestoreIoMeta *meta)
{
  gsize         len;
  gconstpointer data;

  if (exif_marker != NULL)
    {
      data = g_bytes_get_data (exif_marker, &len);
      jpeg_write_marker (cinfo, JPEG_APP0 + 1, data, (unsigned int) len);
    }
  if (meta->icc != NULL)
    {
      data = g_bytes_get_data (meta->icc, &len);
      if (len <= G_MAXUINT)
        jpeg_write_icc_profile (cinfo, data, (unsigned int) len);
    }
}

static RestoreIoImage *
io_jpeg_load (FILE            *fp,
              const IoRequest *req,
              GError         **error)
{
  const char                   *path = req->path;
  struct jpeg_decompress_struct cinfo;
  struct jpeg_progress_mgr      progress = { 0 };
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
  progress.progress_monitor = io_jpeg_progress;
  cinfo.progress = &progress;
  jpeg_stdio_src (&cinfo, fp);
  /* EXIF and ICC markers are kept for io_jpeg_read_meta() */
  jpeg_save_markers (&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_save_markers (&cinfo, JPEG_APP0 + 2, 0xffff);
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
  /* A progressive (or multi-scan) file is decoded whole into libjpeg's
   * coefficient buffer first: 64 coefficients of 2 bytes for each 8 x 8
   * block of each component, at its sampling. */
  {
    guint64 coefficients = 0;

    if (jpeg_has_multiple_scans (&cinfo) && cinfo.max_h_samp_factor > 0
        && cinfo.max_v_samp_factor > 0)
      for (int c = 0; c < cinfo.num_components; c++)
        {
          const jpeg_component_info *comp = &cinfo.comp_info[c];
          guint64 bw = ((guint64) cinfo.image_width * comp->h_samp_factor
                        + 8 * cinfo.max_h_samp_factor - 1) / (8 * cinfo.max_h_samp_factor);
          guint64 bh = ((guint64) cinfo.image_height * comp->v_samp_factor
                        + 8 * cinfo.max_v_samp_factor - 1) / (8 * cinfo.max_v_samp_factor);

          coefficients += bw * bh * 64 * sizeof (JCOEF);
        }
    if (!io_check_header (req, cinfo.image_width, cinfo.image_height,
                          cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3,
                          coefficients, error))
      longjmp (err.jmp, 1);
  }
  jpeg_start_decompress (&cinfo);
  image = io_image_alloc (path, cinfo.output_width, cinfo.output_height,
                          cinfo.output_components, 8, error);
  if (image == NULL)
    longjmp (err.jmp, 1);
  io_jpeg_read_meta (&cinfo, &image->meta);
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
  GBytes                     *exif_marker;
  gsize                       n = (gsize) image->width * image->channels;

  g_return_val_if_fail (image->channels == 1 || image->channels == 3, FALSE);

  exif_marker = io_jpeg_exif_marker (&image->meta);
  memset (&err, 0, sizeof err);
  cinfo.err = jpeg_std_error (&err.pub);
  err.pub.error_exit = io_jpeg_error_exit;
  err.pub.emit_message = io_jpeg_emit_message;
  if (setjmp (err.jmp))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                     "cannot write JPEG '%s': %s", path, err.message);
      g_free (row);
      if (exif_marker != NULL)
        g_bytes_unref (exif_marker);
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
  io_jpeg_set_density (&cinfo, &image->meta);
  jpeg_start_compress (&cinfo, TRUE);
  io_jpeg_write_meta (&cinfo, exif_marker, &image->meta);
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
  if (exif_marker != NULL)
    g_bytes_unref (exif_marker);
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

/* Uncompressed samples are stored as they are: a file shorter than they
 * need is cut short, and is refused before the buffers are made (else a
 * small file that declares a large picture costs the allocation of all
 * of it).  @planes: 1, or the samples a pixel when they lie in planes. */
static gboolean
io_tiff_check_length (TIFF        *tif,
                      const char  *path,
                      guint32      width,
                      guint32      height,
                      int          planes,
                      guint16      compression,
                      GError     **error)
{
  GStatBuf st;
  guint64  need;

  if (compression != COMPRESSION_NONE)
    return TRUE;
  need = TIFFIsTiled (tif)
         ? (guint64) TIFFNumberOfTiles (tif) * (guint64) TIFFTileSize64 (tif)
         : (guint64) TIFFScanlineSize64 (tif) * height * planes;
  if (g_stat (path, &st) == 0 && (guint64) st.st_size < need)
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                   "TIFF '%s' is cut short: its %ux%u pixels need %" G_GUINT64_FORMAT
                   " bytes, the file holds %" G_GUINT64_FORMAT, path, width, height,
                   need, (guint64) st.st_size);
      return FALSE;
    }
  return TRUE;
}

/* Reads the resolution, the ICC profile and the orientation of the
 * first page of @tif into @meta, and its EXIF: the tags that describe
 * the picture and its EXIF and GPS IFDs, as an EXIF block
 * (restore_io_exif_from_tiff()); and, when @path holds @n_pages > 1
 * pages, notes it as the file the later pages come from. */
static void
io_tiff_read_meta (TIFF          *tif,
                   const char    *path,
                   int            n_pages,
                   RestoreIoMeta *meta)
{
  float    x = 0.0f, y = 0.0f;
  guint16  unit = RESUNIT_INCH, orientation = 0;
  guint32  len = 0;
  void    *icc = NULL;

  if (TIFFGetField (tif, TIFFTAG_XRESOLUTION, &x) && TIFFGetField (tif, TIFFTAG_YRESOLUTION, &y))
    {
      TIFFGetFieldDefaulted (tif, TIFFTAG_RESOLUTIONUNIT, &unit);
      if (unit == RESUNIT_NONE || unit == RESUNIT_INCH || unit == RESUNIT_CENTIMETER)
        restore_io_meta_set_res (meta, x, y, unit == RESUNIT_NONE ? RESTORE_IO_UNIT_NONE
                                             : unit == RESUNIT_INCH ? RESTORE_IO_UNIT_INCH
                                             : RESTORE_IO_UNIT_CM);
    }
  if (TIFFGetField (tif, TIFFTAG_ICCPROFILE, &len, &icc) && icc != NULL && len > 0)
    meta->icc = g_bytes_new (icc, len);
  if (TIFFGetField (tif, TIFFTAG_ORIENTATION, &orientation)
      && orientation >= 1 && orientation <= 8)
    meta->orientation = orientation;
  meta->exif = restore_io_exif_from_tiff (TIFFFileno (tif));
  if (n_pages > 1)
    meta->pages_from = g_strdup (path);
}

static RestoreIoImage *
io_tiff_load (const IoRequest *req,
              GError         **error)
{
  const char     *path = req->path;
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
  if (format == SAMPLEFORMAT_UINT && (bps == 1 || bps == 2 || bps == 4) && spp == 1)
    {
      /* 1-, 2- and 4-bit gray (a bilevel scan, a mask drawn with one
       * bit): libtiff's RGBA reader unpacks the bits, in strips or tiles,
       * and renders min-is-white as it is seen; read as 8-bit gray, as a
       * PNG of those depths is (0 and 1 become 0 and 255).  Its rows come
       * in the order the file stores them (the file's own orientation
       * asked for), as every other layout's do: the orientation tag is
       * kept, not applied. */
      guint32 *rgba;
      guint16  stored = ORIENTATION_TOPLEFT;

      if (!io_check_header (req, width, height, 1, (guint64) width * height * 4, error)
          || !io_tiff_check_length (tif, path, width, height, 1, compression, error))
        goto out;
      image = io_image_alloc (path, width, height, 1, 8, error);
      if (image == NULL)
        goto out;
      npix = (gsize) width * height;
      rgba = g_try_malloc_n (npix, sizeof (guint32));
      raw = (guint8 *) rgba;
      if (rgba == NULL)
        {
          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                       "'%s' is too large (%ux%u pixels)", path, width, height);
          goto out;
        }
      TIFFGetFieldDefaulted (tif, TIFFTAG_ORIENTATION, &stored);
      if (!TIFFReadRGBAImageOriented (tif, width, height, rgba, stored, 0))
        {
          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                       "cannot read TIFF '%s': %s", path,
                       io_tiff_message[0] ? io_tiff_message : "bad image data");
          goto out;
        }
      for (gsize i = 0; i < npix; i++)
        image->data[i] = io_from_u8 ((guint8) TIFFGetR (rgba[i]));
      ok = TRUE;
      goto out;
    }
  if (!((format == SAMPLEFORMAT_UINT && (bps == 8 || bps == 16))
        || (format == SAMPLEFORMAT_IEEEFP && bps == 32)))
    {
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                   "TIFF '%s' has %u-bit %s samples; 8- and 16-bit integer, "
                   "32-bit float and 1-, 2- and 4-bit gray samples are supported", path, bps,
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
  /* the file's samples are decoded whole, plus one strip or tile */
  if (!io_check_header (req, width, height, channels,
                        (guint64) width * height * channels * bytes
                        + (guint64) MAX (TIFFIsTiled (tif) ? TIFFTileSize64 (tif)
                                         : TIFFStripSize64 (tif), 0), error))
    goto out;
  if (!io_tiff_check_length (tif, path, width, height, planes, compression, error))
    goto out;
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
  /* Only the first page is read; the caller says so when there are more. */
  if (ok)
    {
      image->n_pages = MAX (TIFFNumberOfDirectories (tif), 1);
      io_tiff_read_meta (tif, path, image->n_pages, &image->meta);
    }
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

/* Sets the resolution, ICC profile and orientation tags of the page of
 * @tif being written from @meta (top left when @meta has none). */
static void
io_tiff_write_meta (TIFF                *tif,
                    const RestoreIoMeta *meta)
{
  if (meta->x_res > 0.0 && meta->y_res > 0.0)
    {
      TIFFSetField (tif, TIFFTAG_XRESOLUTION, meta->x_res);
      TIFFSetField (tif, TIFFTAG_YRESOLUTION, meta->y_res);
      TIFFSetField (tif, TIFFTAG_RESOLUTIONUNIT,
                    meta->unit == RESTORE_IO_UNIT_INCH ? RESUNIT_INCH
                    : meta->unit == RESTORE_IO_UNIT_CM ? RESUNIT_CENTIMETER : RESUNIT_NONE);
    }
  if (meta->icc != NULL)
    {
      gsize         len;
      gconstpointer data = g_bytes_get_data (meta->icc, &len);

      if (len <= G_MAXUINT32)
        TIFFSetField (tif, TIFFTAG_ICCPROFILE, (guint32) len, data);
    }
  TIFFSetField (tif, TIFFTAG_ORIENTATION,
                meta->orientation >= 1 && meta->orientation <= 8
                ? meta->orientation : ORIENTATION_TOPLEFT);
}

/* Copies the tags of the current page of @in that describe its stored
 * data and what a reader shows of it into the page of @out being
 * written (the tags libtiff's own page splitter copies, with the ICC
 * profile and XMP).  The compression comes before the tags that belong
 * to its codec (the predictor, JPEG's tables). */
static void
io_tiff_copy_tags (TIFF *in,
                   TIFF *out)
{
  static const ttag_t u16_tags[] = {
    TIFFTAG_BITSPERSAMPLE, TIFFTAG_SAMPLESPERPIXEL, TIFFTAG_COMPRESSION,
    TIFFTAG_PHOTOMETRIC, TIFFTAG_PREDICTOR, TIFFTAG_THRESHHOLDING, TIFFTAG_FILLORDER,
    TIFFTAG_ORIENTATION, TIFFTAG_MINSAMPLEVALUE, TIFFTAG_MAXSAMPLEVALUE,
    TIFFTAG_RESOLUTIONUNIT, TIFFTAG_PLANARCONFIG, TIFFTAG_SAMPLEFORMAT,
    TIFFTAG_INKSET, TIFFTAG_YCBCRPOSITIONING
  };
  static const ttag_t u32_tags[] = {
    TIFFTAG_SUBFILETYPE, TIFFTAG_IMAGEWIDTH, TIFFTAG_IMAGELENGTH, TIFFTAG_TILEWIDTH,
    TIFFTAG_TILELENGTH, TIFFTAG_ROWSPERSTRIP, TIFFTAG_GROUP3OPTIONS, TIFFTAG_GROUP4OPTIONS,
    TIFFTAG_IMAGEDEPTH, TIFFTAG_TILEDEPTH
  };
  static const ttag_t float_tags[] = {
    TIFFTAG_XRESOLUTION, TIFFTAG_YRESOLUTION, TIFFTAG_XPOSITION, TIFFTAG_YPOSITION
  };
  static const ttag_t string_tags[] = {
    TIFFTAG_ARTIST, TIFFTAG_IMAGEDESCRIPTION, TIFFTAG_MAKE, TIFFTAG_MODEL,
    TIFFTAG_SOFTWARE, TIFFTAG_DATETIME, TIFFTAG_HOSTCOMPUTER, TIFFTAG_PAGENAME,
    TIFFTAG_DOCUMENTNAME, TIFFTAG_COPYRIGHT
  };
  /* tags with a count and an array */
  static const ttag_t array_tags[] = {
    TIFFTAG_JPEGTABLES, TIFFTAG_ICCPROFILE, TIFFTAG_XMLPACKET, TIFFTAG_PHOTOSHOP
  };

  for (gsize i = 0; i < G_N_ELEMENTS (u32_tags); i++)
    {
      guint32 v;

      if (TIFFGetField (in, u32_tags[i], &v))
        TIFFSetField (out, u32_tags[i], v);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (u16_tags); i++)
    {
      guint16 v;

      if (TIFFGetField (in, u16_tags[i], &v))
        TIFFSetField (out, u16_tags[i], v);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (float_tags); i++)
    {
      float v;

      if (TIFFGetField (in, float_tags[i], &v))
        TIFFSetField (out, float_tags[i], (double) v);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (string_tags); i++)
    {
      char *v;

      if (TIFFGetField (in, string_tags[i], &v))
        TIFFSetField (out, string_tags[i], v);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (array_tags); i++)
    {
      guint32 count = 0;
      void   *v = NULL;

      if (TIFFGetField (in, array_tags[i], &count, &v) && count > 0 && v != NULL)
        TIFFSetField (out, array_tags[i], count, v);
    }
  {
    guint16  count = 0, a = 0, b = 0;
    guint16 *extra = NULL, *red = NULL, *green = NULL, *blue = NULL;
    float   *ref = NULL;

    if (TIFFGetField (in, TIFFTAG_EXTRASAMPLES, &count, &extra))
      TIFFSetField (out, TIFFTAG_EXTRASAMPLES, count, extra);
    if (TIFFGetField (in, TIFFTAG_COLORMAP, &red, &green, &blue))
      TIFFSetField (out, TIFFTAG_COLORMAP, red, green, blue);
    if (TIFFGetField (in, TIFFTAG_PAGENUMBER, &a, &b))
      TIFFSetField (out, TIFFTAG_PAGENUMBER, a, b);
    if (TIFFGetField (in, TIFFTAG_YCBCRSUBSAMPLING, &a, &b))
      TIFFSetField (out, TIFFTAG_YCBCRSUBSAMPLING, a, b);
    if (TIFFGetField (in, TIFFTAG_REFERENCEBLACKWHITE, &ref))
      TIFFSetField (out, TIFFTAG_REFERENCEBLACKWHITE, ref);
  }
}

/* Copies the pages of @in after the first, unchanged, as the next pages
 * of @out, whose first page is written: each page's tags
 * (io_tiff_copy_tags()) and its strips or tiles as stored, still
 * compressed, so nothing of them is decoded or changed.  @out has @in's
 * byte order, which the stored samples are in. */
static gboolean
io_tiff_copy_pages (TIFF       *in,
                    TIFF       *out,
                    const char *from,
                    const char *path,
                    const gint *cancel,
                    GError    **error)
{
  tdir_t   n = TIFFNumberOfDirectories (in);
  GStatBuf st;
  guint64  file_size = g_stat (from, &st) == 0 ? (guint64) st.st_size : G_MAXUINT64;
  guint8  *buf = NULL;
  gboolean ok = TRUE;

  if (!TIFFWriteDirectory (out))
    ok = FALSE;
  for (tdir_t d = 1; ok && d < n; d++)
    {
      guint16  compression = COMPRESSION_NONE;
      gboolean tiled;
      guint32  count;

      if (io_cancelled (cancel, error))
        {
          ok = FALSE;
          break;
        }
      if (!TIFFSetDirectory (in, d))
        {
          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                       "cannot copy page %d of '%s' into '%s': %s", d + 1, from, path,
                       io_tiff_message[0] ? io_tiff_message : "the page cannot be read");
          ok = FALSE;
          break;
        }
      TIFFGetFieldDefaulted (in, TIFFTAG_COMPRESSION, &compression);
      if (compression == COMPRESSION_OJPEG)
        {
          /* its data lies outside the strips: libtiff cannot write it */
          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                       "cannot copy page %d of '%s' into '%s': it is compressed as "
                       "old-style JPEG; write a .png or .jpg to keep the first page only",
                       d + 1, from, path);
          ok = FALSE;
          break;
        }
      tiled = TIFFIsTiled (in);
      io_tiff_copy_tags (in, out);
      count = tiled ? TIFFNumberOfTiles (in) : TIFFNumberOfStrips (in);
      for (guint32 s = 0; ok && s < count; s++)
        {
          guint64  size = TIFFGetStrileByteCount (in, s);
          tmsize_t got;

          if (size == 0)
            continue;           /* a strip or tile with no data: none here too */
          if (size > file_size || (buf = g_try_malloc ((gsize) size)) == NULL)
            {
              g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                           "cannot copy page %d of '%s' into '%s': a strip or tile of "
                           "%" G_GUINT64_FORMAT " bytes, more than the file holds",
                           d + 1, from, path, size);
              ok = FALSE;
              break;
            }
          got = tiled ? TIFFReadRawTile (in, s, buf, (tmsize_t) size)
                      : TIFFReadRawStrip (in, s, buf, (tmsize_t) size);
          if (got != (tmsize_t) size)
            {
              g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_CORRUPT,
                           "cannot copy page %d of '%s' into '%s': %s", d + 1, from, path,
                           io_tiff_message[0] ? io_tiff_message : "its data is cut short");
              ok = FALSE;
            }
          else if ((tiled ? TIFFWriteRawTile (out, s, buf, got)
                          : TIFFWriteRawStrip (out, s, buf, got)) != got)
            ok = FALSE;
          g_clear_pointer (&buf, g_free);
        }
      if (ok && !TIFFWriteDirectory (out))
        ok = FALSE;
    }
  return ok;
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
  TIFF    *pages = NULL;
  gboolean ok = TRUE;
  /* the EXIF block's IFDs, written after the finished file through a
   * second descriptor (libtiff closes @fd) */
  RestoreIoExif *exif = image->meta.exif ? restore_io_exif_new (image->meta.exif) : NULL;
  int            exif_fd = -1;

  io_tiff_init ();
  if (restore_io_exif_has_ifds (exif) && (exif_fd = dup (fd)) < 0)
    {
      int saved = errno;

      close (fd);
      restore_io_exif_free (exif);
      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                   "cannot write TIFF '%s': %s", path, g_strerror (saved));
      return FALSE;
    }
  if (image->meta.pages_from != NULL)
    {
      /* the file whose later pages follow the first; the output is made
       * with its byte order (and BigTIFF when it is one), which the
       * copied data is stored in */
      pages = TIFFOpen (image->meta.pages_from, "r");
      if (pages == NULL)
        {
          close (fd);
          if (exif_fd >= 0)
            close (exif_fd);
          restore_io_exif_free (exif);
          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                       "cannot copy the pages of '%s' into '%s': %s",
                       image->meta.pages_from, path,
                       io_tiff_message[0] ? io_tiff_message : "it cannot be read");
          return FALSE;
        }
    }
  tif = TIFFFdOpen (fd, tmp_path,
                    pages == NULL ? "w"
                    : TIFFIsBigTIFF (pages) ? (TIFFIsBigEndian (pages) ? "w8b" : "w8l")
                    : TIFFIsBigEndian (pages) ? "wb" : "wl");
  if (tif == NULL)
    {
      close (fd);
      if (exif_fd >= 0)
        close (exif_fd);
      restore_io_exif_free (exif);
      if (pages != NULL)
        TIFFClose (pages);
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
  io_tiff_write_meta (tif, &image->meta);
  if (exif != NULL)
    restore_io_exif_set_tiff_tags (exif, tif);
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
  if (ok && pages != NULL)
    ok = io_tiff_copy_pages (pages, tif, image->meta.pages_from, path, cancel, error);
  if (ok && !TIFFFlush (tif))
    ok = FALSE;
  if (!ok && error != NULL && *error == NULL)
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                 "cannot write TIFF '%s': %s", path,
                 io_tiff_message[0] ? io_tiff_message : g_strerror (errno));
  TIFFClose (tif);
  if (exif_fd >= 0)
    {
      errno = 0;
      if (ok && !restore_io_exif_write_tiff_ifds (exif, exif_fd))
        {
          ok = FALSE;
          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                       "cannot write the EXIF of TIFF '%s': %s", path,
                       errno != 0 ? g_strerror (errno) : "the file cannot be read back");
        }
      close (exif_fd);
    }
  restore_io_exif_free (exif);
  if (pages != NULL)
    TIFFClose (pages);
  g_free (row);
  return ok;
}

/* ------------------------------------------------------------- public */

/* Reads @req->path (see restore_io_image_load()). */
static RestoreIoImage *
io_image_load (const IoRequest *req,
               GError         **error)
{
  const char     *path = req->path;
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
    image = io_png_load (fp, req, error);
  else if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff)
    image = io_jpeg_load (fp, req, error);
  else if (got >= 4 && ((magic[0] == 'I' && magic[1] == 'I' && (magic[2] == 42 || magic[2] == 43) && magic[3] == 0)
                        || (magic[0] == 'M' && magic[1] == 'M' && magic[2] == 0 && (magic[3] == 42 || magic[3] == 43))))
    image = io_tiff_load (req, error);
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
 * restore_io_set_threads:
 * See image-io.h.
 */
void
restore_io_set_threads (int threads)
{
  g_atomic_int_set (&io_threads, MAX (threads, 0));
}

/**
 * restore_io_image_load:
 * @path: a PNG, JPEG or TIFF file
 * Reads @path into float samples 0..1 (see image-io.h): PNG of any bit
 * depth and colour type (palettes and transparency become RGB/RGBA or
 * gray + alpha), 8-bit gray or RGB JPEG, TIFF with 8/16-bit integer or
 * 32-bit float samples, gray/RGB with an optional alpha, in strips or
 * tiles, contiguous or planar.  The header is checked before any pixel
 * is decoded: at most 268 megapixels (16384 x 16384) and 4 GiB to decode.
 * What the file carries that is left out of image->meta is said in
 * image->warnings.  Returns a new image (free with
 * restore_io_image_free()) or NULL with @error set.
 */
RestoreIoImage *
restore_io_image_load (const char *path,
                       GError    **error)
{
  IoRequest req = { path, 0, 0 };

  return io_image_load (&req, error);
}

/**
 * restore_io_mask_load:
 * @path: a mask for an image of @width x @height
 * As restore_io_image_load(), but a file whose header declares another
 * size is refused before it is decoded (RESTORE_IO_ERROR_SIZE).
 */
RestoreIoImage *
restore_io_mask_load (const char *path,
                      int         width,
                      int         height,
                      GError    **error)
{
  IoRequest req = { path, width, height };

  g_return_val_if_fail (width > 0 && height > 0, NULL);
  return io_image_load (&req, error);
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

/* The folder @path would be written in (its parent); new string. */
static char *
io_parent (const char *path)
{
  return g_path_get_dirname (path);
}

/* Whether the user running the command may write @st (a file or a
 * folder, with @path for access()).  access() answers for that user, but
 * the superuser passes every access() check; so a file or folder whose
 * owner has no write permission (mode 0444, a folder made read-only) is
 * refused too, as it is for a normal user: nobody meant it to be
 * written. */
static gboolean
io_may_write (const char     *path,
              const GStatBuf *st)
{
  return access (path, W_OK) == 0 && (st->st_mode & S_IWUSR) != 0;
}

/**
 * restore_io_check_output:
 * @path: the output file
 * @channels: channels of the image to be written there; 0 when not known
 *            yet (the check of the format against the alpha channel is
 *            then left out)
 * Checks, before any work is done, that an image with @channels can be
 * written to @path: a known extension; an existing folder the user may
 * write in (the output is made there and renamed into place); and, when
 * @path exists, a plain file the user may write (a rename would replace
 * a read-only file or another user's file that the user could not write
 * into, and a device or pipe by a plain file); no alpha channel for
 * JPEG.  Returns FALSE with @error set otherwise.
 */
gboolean
restore_io_check_output (const char *path,
                         int         channels,
                         GError    **error)
{
  RestoreIoFormat format;
  GStatBuf        dir_st, st;
  char           *dir;
  gboolean        exists;
  int             lstat_errno;
  gboolean        ok = FALSE;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!restore_io_format_from_name (path, &format, error))
    return FALSE;
  dir = io_parent (path);
  exists = g_lstat (path, &st) == 0;
  lstat_errno = exists ? 0 : errno;
  if (g_stat (dir, &dir_st) != 0 || !S_ISDIR (dir_st.st_mode))
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                 "cannot write '%s': folder '%s' does not exist", path, dir);
  else if (!io_may_write (dir, &dir_st) || access (dir, X_OK) != 0)
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                 "cannot write '%s': folder '%s' is not writable", path, dir);
  else if (!exists && lstat_errno != ENOENT)
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                 "cannot write '%s': %s", path, g_strerror (lstat_errno));
  else if (exists && S_ISDIR (st.st_mode))
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                 "cannot write '%s': it is a folder", path);
  else if (exists && S_ISREG (st.st_mode) && !io_may_write (path, &st))
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                 "cannot write '%s': the file is read-only or not yours; "
                 "it is left as it is", path);
  else if (exists && !S_ISREG (st.st_mode) && !S_ISLNK (st.st_mode))
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                 "cannot write '%s': it is not a plain file", path);
  else if (format == RESTORE_IO_FORMAT_JPEG && (channels == 2 || channels == 4))
    g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_UNSUPPORTED,
                 "JPEG cannot hold the image's alpha channel; "
                 "write '%s' as .png or .tif instead", path);
  else
    ok = TRUE;
  g_free (dir);
  return ok;
}

/* @path with its folder resolved (symbolic links, "." and ".."), also
 * for a file that does not exist yet; new string. */
static char *
io_resolve (const char *path)
{
  char *real = realpath (path, NULL);
  char *dir, *real_dir, *base, *out;

  if (real != NULL)
    {
      out = g_strdup (real);
      free (real);
      return out;
    }
  dir = io_parent (path);
  base = g_path_get_basename (path);
  real_dir = realpath (dir, NULL);
  if (real_dir != NULL)
    out = g_build_filename (real_dir, base, NULL);
  else
    out = g_canonicalize_filename (path, NULL);
  free (real_dir);
  g_free (dir);
  g_free (base);
  return out;
}

/**
 * restore_io_same_file:
 * TRUE when @a and @b name the same file: the same device and inode when
 * both exist (hard and symbolic links), else the same resolved path
 * ("./x" and "x", a path through a linked folder).
 */
gboolean
restore_io_same_file (const char *a,
                      const char *b)
{
  GStatBuf sa, sb;
  char    *ra, *rb;
  gboolean same;

  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0
      && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
    return TRUE;
  ra = io_resolve (a);
  rb = io_resolve (b);
  same = strcmp (ra, rb) == 0;
  g_free (ra);
  g_free (rb);
  return same;
}

/* Writes @image in the format of @path's name to a new temporary file in
 * @path's folder.  Returns the temporary file's name (to be renamed over
 * @path), or NULL with @error set and nothing left on disk. */
static char *
io_write_temp (const RestoreIoImage *image,
               const char           *path,
               const gint           *cancel,
               GPtrArray            *warnings,
               GError              **error)
{
  RestoreIoFormat format;
  RestoreIoImage  view;
  char           *dir;
  char           *tmp;
  int             fd;
  gboolean        ok;

  if (!restore_io_check_output (path, image->channels, error)
      || !restore_io_format_from_name (path, &format, error))
    return NULL;

  view = *image;
  if (format == RESTORE_IO_FORMAT_JPEG)
    view.bit_depth = 8;
  else if (format == RESTORE_IO_FORMAT_PNG && view.bit_depth > 16)
    view.bit_depth = 16;

  dir = io_parent (path);
  tmp = g_build_filename (dir, ".gimp-restore-XXXXXX", NULL);
  g_free (dir);
  fd = g_mkstemp_full (tmp, O_RDWR, 0666);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_OPEN,
                   "cannot write '%s': %s", path, g_strerror (saved));
      g_free (tmp);
      return NULL;
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
            ok = io_png_save (&view, fp, path, cancel, warnings, error);
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
  if (!ok)
    {
      g_unlink (tmp);
      g_free (tmp);
      return NULL;
    }
  return tmp;
}

/**
 * restore_io_image_save:
 * @image: the pixels; written with image->bit_depth where the format
 *         allows it (PNG: 8 or 16, JPEG: 8 at quality 95, TIFF: 8, 16 or
 *         32-bit float)
 * @path: the output; its extension picks the format
 * @cancel: (nullable): polled between rows; when set the write stops
 * @warnings: (nullable): gets a message (a new string) for each part of
 *            the metadata the output cannot hold and is written without
 *            (an ICC profile libpng refuses); not errors, to be shown
 * Writes @image with its metadata (image->meta, see image-io.h: the
 * resolution, ICC profile and EXIF in every format; a TIFF's further
 * pages into a TIFF).  Writes a temporary file next to @path and renames
 * it over @path when complete; on any failure the temporary file is
 * removed and @path is left as it was.  Returns FALSE with @error set on
 * failure.
 */
gboolean
restore_io_image_save (const RestoreIoImage *image,
                       const char           *path,
                       const gint           *cancel,
                       GPtrArray            *warnings,
                       GError              **error)
{
  return restore_io_image_save_all (&image, &path, 1, cancel, warnings, error);
}

/**
 * restore_io_image_save_all:
 * @images, @paths: @n images and the files to write them to
 * @warnings: (nullable): as restore_io_image_save(), for all of them
 * Writes each image as restore_io_image_save() does, but renames the
 * temporary files into place only once all of them are complete; a
 * rename that fails then undoes the ones before it (a file that was
 * replaced gets its old contents back through a hard link kept while the
 * files are renamed).  So on failure every path is left as it was.
 * Returns FALSE with @error set on failure.
 */
gboolean
restore_io_image_save_all (const RestoreIoImage *const *images,
                           const char *const           *paths,
                           int                          n,
                           const gint                  *cancel,
                           GPtrArray                   *warnings,
                           GError                     **error)
{
  char   **tmps, **olds;
  gboolean ok = TRUE;
  int      done = 0;

  g_return_val_if_fail (n >= 1 && images != NULL && paths != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  for (int i = 0; i < n; i++)
    g_return_val_if_fail (images[i] != NULL && paths[i] != NULL, FALSE);

  tmps = g_new0 (char *, n);
  olds = g_new0 (char *, n);
  for (int i = 0; ok && i < n; i++)
    ok = (tmps[i] = io_write_temp (images[i], paths[i], cancel, warnings, error)) != NULL;
  if (ok && io_cancelled (cancel, error))
    ok = FALSE;
  for (; ok && done < n; done++)
    {
      GStatBuf st;

      /* the file this replaces, kept under a second name until all are
       * in place (only needed when a later rename could fail) */
      if (n > 1 && g_lstat (paths[done], &st) == 0)
        {
          olds[done] = g_strconcat (tmps[done], ".old", NULL);
          if (link (paths[done], olds[done]) != 0)
            g_clear_pointer (&olds[done], g_free);
        }
      if (g_rename (tmps[done], paths[done]) != 0)
        {
          int saved = errno;

          g_set_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE,
                       "cannot write '%s': %s", paths[done], g_strerror (saved));
          if (olds[done] != NULL)
            g_unlink (olds[done]);
          g_clear_pointer (&olds[done], g_free);
          ok = FALSE;
          break;
        }
    }
  if (!ok)
    {
      /* undo the renames made so far, newest first */
      for (int i = done - 1; i >= 0; i--)
        {
          if (olds[i] != NULL)
            g_rename (olds[i], paths[i]);
          else
            g_unlink (paths[i]);
          g_clear_pointer (&olds[i], g_free);
        }
      for (int i = done; i < n; i++)
        if (tmps[i] != NULL)
          g_unlink (tmps[i]);
    }
  for (int i = 0; i < n; i++)
    {
      if (olds[i] != NULL)
        g_unlink (olds[i]);
      g_free (olds[i]);
      g_free (tmps[i]);
    }
  g_free (olds);
  g_free (tmps);
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
  out = restore_ops_alloc_floats (n);
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
