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
 *
 * What a scan carries besides its pixels is read into RestoreIoMeta and
 * written into the output of whatever format it is, so a 1200 dpi TIFF
 * with its scanner's profile comes back as one:
 * - the resolution (PNG pHYs, JPEG JFIF density or else the EXIF
 *   resolution, TIFF XResolution / YResolution / ResolutionUnit);
 * - the ICC colour profile, byte for byte (PNG iCCP, JPEG APP2
 *   ICC_PROFILE markers, TIFF ICCProfile);
 * - the EXIF (image-exif-private.h): a PNG's (eXIf) or JPEG's (APP1
 *   "Exif") block byte for byte into a PNG or JPEG; into a TIFF, its
 *   EXIF and GPS IFDs as the TIFF's own, every entry with its type and
 *   value, and the tags of its first IFD that describe the picture
 *   (Make, Model, DateTime, Artist, ...) as the TIFF's tags; a TIFF's
 *   own (those tags, its EXIF and GPS IFDs) as a block into a PNG or
 *   JPEG, or as IFDs into a TIFF.  The orientation stays what it was:
 *   the pixels are read and written as stored, never turned, so a
 *   viewer shows the output turned as it showed the input;
 * - a TIFF's pages after the first, copied unchanged (their compressed
 *   data and their tags) after the restored first page when the output
 *   is a TIFF; a PNG or JPEG holds the first page only.
 * A mask made for an image (restore_io_image_copy_meta() with
 * RESTORE_IO_META_LAYOUT) gets its resolution, orientation and EXIF
 * (without the thumbnail a camera adds), so it lines up with the image
 * in other programs and is known as the same shot.
 * Not kept: text and XMP chunks; an EXIF block larger than one JPEG
 * marker holds (64 KB) in a JPEG output; EXIF entries that cannot be
 * carried (see image-exif-private.h), left out quietly; and an ICC
 * profile libpng refuses, on reading a PNG (an invalid rendering intent)
 * or writing one (a colour profile on a gray PNG), which is said in
 * RestoreIoImage.warnings or restore_io_image_save()'s warnings.
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

typedef enum
{
  RESTORE_IO_UNIT_NONE,  /* the pixels' aspect ratio only, no size */
  RESTORE_IO_UNIT_INCH,
  RESTORE_IO_UNIT_CM
} RestoreIoUnit;

typedef struct
{
  double        x_res;        /* pixels a unit across; 0 when not given */
  double        y_res;        /* pixels a unit down */
  RestoreIoUnit unit;
  GBytes       *icc;          /* the ICC profile; NULL when none */
  GBytes       *exif;         /* the EXIF block as TIFF structure (from "II*\0"
                               * or "MM\0*" on, without JPEG's "Exif\0\0"),
                               * for a TIFF made of its tags; NULL when
                               * none */
  int           orientation;  /* EXIF / TIFF orientation 1..8; 0 when not
                               * given (as 1, top left) */
  char         *pages_from;   /* a TIFF whose pages after the first a TIFF
                               * output copies; NULL when none */
} RestoreIoMeta;

/* What restore_io_image_copy_meta() gives an image made from another. */
typedef enum
{
  RESTORE_IO_META_ALL,     /* everything: the image restored */
  RESTORE_IO_META_LAYOUT   /* resolution, orientation and EXIF without its
                            * thumbnail: a mask of it */
} RestoreIoMetaKind;

typedef struct
{
  float *data;       /* width * height * channels floats, rows packed */
  int    width;
  int    height;
  int    channels;   /* 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA */
  int    bit_depth;  /* 8 or 16 (integer samples) or 32 (float samples) */
  int    n_pages;    /* pages in the file (a TIFF may hold several); only
                      * the first is read */
  RestoreIoMeta meta; /* what the file carries besides the pixels */
  GPtrArray *warnings; /* what reading left out of the metadata, that no
                        * output will hold (an ICC profile libpng
                        * refuses): a message each, to be shown; NULL
                        * when nothing */
} RestoreIoImage;

RestoreIoImage *restore_io_image_new    (int width,
                                         int height,
                                         int channels,
                                         int bit_depth);
void            restore_io_image_free   (RestoreIoImage *image);
void            restore_io_image_copy_meta (RestoreIoImage       *dst,
                                            const RestoreIoImage *src,
                                            RestoreIoMetaKind     kind);

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

/* Threads the writers may use (the PNG writer's deflate, image-png-idat.h):
 * 0 (the start value) = one per core.  For the whole process; set it
 * before saving. */
void            restore_io_set_threads  (int             threads);

gboolean        restore_io_image_save   (const RestoreIoImage *image,
                                         const char           *path,
                                         const gint           *cancel,
                                         GPtrArray            *warnings,
                                         GError              **error);

gboolean        restore_io_image_save_all (const RestoreIoImage *const *images,
                                           const char *const           *paths,
                                           int                          n,
                                           const gint                  *cancel,
                                           GPtrArray                   *warnings,
                                           GError                     **error);

float          *restore_io_mask_from_image (const RestoreIoImage *mask,
                                            int                   width,
                                            int                   height,
                                            GError              **error);

G_END_DECLS
