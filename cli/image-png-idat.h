/* gimp-restore: a PNG's pixel data (IDAT) filtered and compressed on all
 * cores; internal to cli/ (image-io.c writes PNG files with it).
 *
 * The rows are cut into parts of IO_IDAT_PART_BYTES or more; each part is
 * filtered (Paeth on every row) and compressed on its own thread into raw
 * deflate data that starts from the last 32 KiB of the part before as its
 * dictionary and ends on a byte boundary (Z_SYNC_FLUSH; the last part
 * Z_FINISH).  Their concatenation behind a zlib header, with the Adler-32
 * of all the filtered rows behind it, is one zlib stream, written as IDAT
 * chunks in order.  The parts depend on the image alone, not on the number
 * of threads, so the file is the same byte for byte on any machine.
 * Memory: one part per thread in flight.
 */
#pragma once

#include <glib.h>
#include <png.h>

G_BEGIN_DECLS

#define IO_IDAT_PART_BYTES (1 << 20)

/* Writes the bytes of row @y (rowbytes of them, as PNG stores them) into
 * @row.  Called from several threads at once, for different rows. */
typedef void (*IoIdatRowFunc) (gpointer data,
                               int      y,
                               guint8  *row);

typedef struct _IoIdatWriter IoIdatWriter;

/*
 * A writer of the IDAT chunks of an image of @height rows of @rowbytes
 * bytes (@bpp bytes per pixel, 1 for fewer than 8 bits), which @rows
 * gives.  @level: zlib's compression level.  @threads: 0 for all cores.
 * Free it with io_idat_writer_free(), also after a libpng error's longjmp
 * out of io_idat_writer_run() (keep it in a volatile variable).
 */
IoIdatWriter *io_idat_writer_new  (int            height,
                                   gsize          rowbytes,
                                   int            bpp,
                                   int            level,
                                   int            threads,
                                   IoIdatRowFunc  rows,
                                   gpointer       data);
void          io_idat_writer_free (IoIdatWriter  *writer);

/*
 * Writes the IDAT chunks through @png, after png_write_info(), then the
 * IEND chunk: the caller then destroys @png without png_write_end().
 * Returns FALSE when @cancel (polled between batches of parts; may be
 * NULL) became set, *@failed then NULL, or when zlib failed, *@failed
 * then says why; libpng's errors longjmp as usual.
 */
gboolean      io_idat_writer_run  (IoIdatWriter  *writer,
                                   png_structp    png,
                                   const gint    *cancel,
                                   const char   **failed);

G_END_DECLS
