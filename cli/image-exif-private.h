/* gimp-restore: EXIF blocks for image-io.c; internal to cli/.
 *
 * An EXIF block is a small TIFF file: a byte-order mark ("II" little or
 * "MM" big endian), 42, the offset of the first IFD, whose 12-byte
 * entries (tag, type, count, value or the offset of the value) describe
 * the picture, and the IFDs its pointer tags lead to: the EXIF IFD
 * (0x8769; exposure, dates, lens; its own pointer 0xa005 leads to the
 * interoperability IFD) and the GPS IFD (0x8825).  A JPEG holds one in
 * an APP1 marker, a PNG in an eXIf chunk; a TIFF holds the same IFDs as
 * its own, its first page's tags being the first IFD.
 *
 * RestoreIoMeta.exif is always such a block, whatever the file it came
 * from: a JPEG's or PNG's as it is, a TIFF's made from its first page
 * (restore_io_exif_from_tiff()).  A TIFF output gets the block's IFDs as
 * its own (restore_io_exif_new(), restore_io_exif_set_tiff_tags(),
 * restore_io_exif_write_tiff_ifds()): libtiff writes the page with
 * pointers to them that hold 0, and the IFDs are then written after the
 * finished file, entry by entry with the type, count and bytes they
 * had, and the pointers set.  (libtiff's own EXIF directories would
 * hold rationals as floats, 1/250 coming back as 0.0040000002, and only
 * the tags it lists.)
 *
 * Every count and offset is checked against the block's or the file's
 * size, and at most IO_EXIF_MAX_BYTES of values are read.  Whatever
 * cannot be carried is left out, entry by entry: values of the types a
 * classic TIFF lacks (BigTIFF's 64-bit ones) or of unknown types,
 * entries that point outside the data, pointers to IFDs other than the
 * EXIF, GPS and interoperability ones, and in the first IFD all but the
 * tags that describe the picture, its orientation and its resolution
 * (io_exif_text_tags, io_exif_layout_tags; not the image's own layout,
 * nor the next IFD, a thumbnail's).  A maker note is copied as its
 * bytes; offsets it holds into the file it came from are not rewritten.
 */
#pragma once

#include <glib.h>
#include <tiffio.h>

#include "image-io.h"

G_BEGIN_DECLS

typedef struct _RestoreIoExif RestoreIoExif;

/* image-io.c */
void           restore_io_meta_set_res           (RestoreIoMeta       *meta,
                                                  double               x,
                                                  double               y,
                                                  RestoreIoUnit        unit);

/* image-exif.c */

gboolean       restore_io_exif_parse             (const guint8        *data,
                                                  gsize                size,
                                                  RestoreIoMeta       *meta);
GBytes        *restore_io_exif_for               (const RestoreIoMeta *meta);
GBytes        *restore_io_exif_from_tiff         (int                  fd);
GBytes        *restore_io_exif_without_thumbnail (GBytes              *exif);

RestoreIoExif *restore_io_exif_new               (GBytes              *exif);
void           restore_io_exif_free              (RestoreIoExif       *exif);
gboolean       restore_io_exif_has_ifds          (const RestoreIoExif *exif);
void           restore_io_exif_set_tiff_tags     (const RestoreIoExif *exif,
                                                  TIFF                *tif);
gboolean       restore_io_exif_write_tiff_ifds   (const RestoreIoExif *exif,
                                                  int                  fd);

G_END_DECLS
