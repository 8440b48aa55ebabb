/* gimp-restore: image files for the command (PNG, JPEG, TIFF).
 *
 * Pixels are held as interleaved floats 0..1 (gray, gray + alpha, RGB or
 * RGBA) with the file's original sample depth, so an image written back
 * with the depth it was read with reproduces every sample exactly:
 * an n-bit value v becomes v / (2^n - 1) and is written as
 * round (x * (2^n - 1)).  32-bit float TIFF samples are kept as they are.
 *
 * Reading picks the format from the file's first bytes and checks the
 * size the header declares before any pixel is decoded (at most 268
 * megapixels and 4 GiB to decode; a mask must have its image's size);
 * writing picks the format from the output name's extension (.png,
 * .jpg/.jpeg, .tif/.tiff).
 * Writing goes to a temporary file in the output's folder that is renamed
 * over the output only when complete, so a failed or interrupted write
 * never leaves a partial output; several outputs of one run are renamed
 * only when all of them are complete (restore_io_image_save_all()).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RESTORE_IO_ERROR (restore_io_error_quark ())
GQuark restore_io_error_quark (void);

typedef enum
{
  RESTORE_IO_ERROR_OPEN,        /* the file cannot be opened or created */
  RESTORE_IO_ERROR_FORMAT,      /* not a PNG, JPEG or TIFF file */
  RESTORE_IO_ERROR_UNSUPPORTED, /* a layout this reader does not handle */
  RESTORE_IO_ERROR_CORRUPT,     /* the decoder failed */
  RESTORE_IO_ERROR_WRITE,       /* the encoder or the file system failed */
  RESTORE_IO_ERROR_SIZE,        /* the mask does not fit the image */
  RESTORE_IO_ERROR_COUNT
} RestoreIoError;

typedef enum
{
  RESTORE_IO_FORMAT_PNG,
  RESTORE_IO_FORMAT_JPEG,
  RESTORE_IO_FORMAT_TIFF,
  RESTORE_IO_FORMAT_COUNT
} RestoreIoFormat;

typedef struct
{
  float *data;       /* width * height * channels floats, rows packed */
  int    width;
  int    height;
  int    channels;   /* 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA */
  int    bit_depth;  /* 8 or 16 (integer samples) or 32 (float samples) */
  int    n_pages;    /* pages in the file (a TIFF may hold several); only
                      * the first is read */
} RestoreIoImage;

RestoreIoImage *restore_io_image_new    (int width,
                                         int height,
                                         int channels,
                                         int bit_depth);
void            restore_io_image_free   (RestoreIoImage *image);

RestoreIoImage *restore_io_image_load   (const char     *path,
                                         GError        **error);
RestoreIoImage *restore_io_mask_load    (const char     *path,
                                         int             width,
                                         int             height,
                                         GError        **error);

gboolean        restore_io_format_from_name (const char      *path,
                                             RestoreIoFormat *format,
                                             GError         **error);

gboolean        restore_io_check_output (const char     *path,
                                         int             channels,
                                         GError        **error);

gboolean        restore_io_same_file    (const char     *a,
                                         const char     *b);

gboolean        restore_io_image_save   (const RestoreIoImage *image,
                                         const char           *path,
                                         const gint           *cancel,
                                         GError              **error);

gboolean        restore_io_image_save_all (const RestoreIoImage *const *images,
                                           const char *const           *paths,
                                           int                          n,
                                           const gint                  *cancel,
                                           GError                     **error);

float          *restore_io_mask_from_image (const RestoreIoImage *mask,
                                            int                   width,
                                            int                   height,
                                            GError              **error);

G_END_DECLS
