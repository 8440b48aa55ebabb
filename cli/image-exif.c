/* gimp-restore: EXIF blocks for the command's image files (see
 * image-exif-private.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <tiffio.h>

#include "image-exif-private.h"

/* The most bytes of values read from one block or file, and the most
 * entries an IFD may have. */
#define IO_EXIF_MAX_BYTES   ((gsize) 4 << 20)
#define IO_EXIF_MAX_ENTRIES 1024

#define IO_EXIF_ORIENTATION 0x0112
#define IO_EXIF_XRES        0x011a
#define IO_EXIF_YRES        0x011b
#define IO_EXIF_RES_UNIT    0x0128
#define IO_EXIF_EXIF_IFD    0x8769
#define IO_EXIF_GPS_IFD     0x8825
#define IO_EXIF_INTEROP_IFD 0xa005

/* TIFF field types */
enum
{
  IO_EXIF_BYTE = 1, IO_EXIF_ASCII, IO_EXIF_SHORT, IO_EXIF_LONG, IO_EXIF_RATIONAL,
  IO_EXIF_SBYTE, IO_EXIF_UNDEFINED, IO_EXIF_SSHORT, IO_EXIF_SLONG, IO_EXIF_SRATIONAL,
  IO_EXIF_FLOAT, IO_EXIF_DOUBLE, IO_EXIF_IFD, IO_EXIF_LONG8 = 16, IO_EXIF_SLONG8,
  IO_EXIF_IFD8
};

/* The tags of the first IFD that are kept: what describes the picture
 * and who made it (the ASCII ones a TIFF output holds as its own tags,
 * io_exif_text_tags), its orientation and its resolution. */
static const guint16 io_exif_text_tags[] = {
  0x010e /* ImageDescription */, 0x010f /* Make */, 0x0110 /* Model */,
  0x0131 /* Software */, 0x0132 /* DateTime */, 0x013b /* Artist */,
  0x8298 /* Copyright */
};
static const guint16 io_exif_layout_tags[] = {
  IO_EXIF_ORIENTATION, IO_EXIF_XRES, IO_EXIF_YRES, IO_EXIF_RES_UNIT
};

/* The IFDs of a block: the first, and those its pointers lead to. */
typedef enum
{
  IO_EXIF_IFD_FIRST,
  IO_EXIF_IFD_EXIF,
  IO_EXIF_IFD_GPS,
  IO_EXIF_IFD_INTEROP,
  IO_EXIF_IFD_NONE
} IoExifKind;

typedef struct _IoExifIfd IoExifIfd;

typedef struct
{
  guint16    tag;
  guint16    type;
  guint32    count;
  guint8    *data;  /* the count values, each little endian (a rational:
                     * numerator, then denominator); NULL for a pointer */
  IoExifIfd *sub;   /* the IFD a pointer tag leads to; NULL for a value */
} IoExifEntry;

struct _IoExifIfd
{
  GArray *entries;  /* IoExifEntry, by ascending tag, each tag once */
};

struct _RestoreIoExif
{
  IoExifIfd *first;
};

/* Where entries are read from: a block in memory or a file. */
typedef struct
{
  const guint8 *data;      /* the block; NULL for a file */
  int           fd;        /* the file, read with pread() */
  guint64       size;      /* bytes in the block or the file */
  gboolean      big;       /* big endian */
  gboolean      big_tiff;  /* BigTIFF: 8-byte counts and offsets */
  gsize         budget;    /* bytes of values that may still be read */
} IoExifSrc;

/* Where IFDs are written: bytes that will lie at @base in a file. */
typedef struct
{
  GByteArray *out;
  guint64     base;
  gboolean    big;
  gboolean    big_tiff;
} IoExifSink;

/* The bytes of one value of @type; 0 for the types that are not
 * carried (IFD, BigTIFF's 64-bit types, unknown ones). */
static guint
io_exif_type_size (guint type)
{
  switch (type)
    {
    case IO_EXIF_BYTE: case IO_EXIF_ASCII: case IO_EXIF_SBYTE: case IO_EXIF_UNDEFINED:
      return 1;
    case IO_EXIF_SHORT: case IO_EXIF_SSHORT:
      return 2;
    case IO_EXIF_LONG: case IO_EXIF_SLONG: case IO_EXIF_FLOAT:
      return 4;
    case IO_EXIF_RATIONAL: case IO_EXIF_SRATIONAL: case IO_EXIF_DOUBLE:
      return 8;
    default:
      return 0;
    }
}

/* The bytes of each number in a value of @type, which the byte order
 * reverses: a rational is two 4-byte numbers. */
static guint
io_exif_word_size (guint type)
{
  return type == IO_EXIF_RATIONAL || type == IO_EXIF_SRATIONAL ? 4 : io_exif_type_size (type);
}

/* Reverses the bytes of each @word-byte number of the @n bytes at @p. */
static void
io_exif_swap (guint8 *p,
              gsize   n,
              guint   word)
{
  for (gsize i = 0; word > 1 && i + word <= n; i += word)
    for (guint a = 0, b = word - 1; a < b; a++, b--)
      {
        guint8 t = p[i + a];

        p[i + a] = p[i + b];
        p[i + b] = t;
      }
}

/* The unsigned number of @bytes (2, 4 or 8) at @p. */
static guint64
io_exif_get (const guint8 *p,
             guint         bytes,
             gboolean      big)
{
  guint64 v = 0;

  for (guint i = 0; i < bytes; i++)
    v |= (guint64) p[big ? bytes - 1 - i : i] << (8 * i);
  return v;
}

static void
io_exif_put (guint8  *p,
             guint    bytes,
             guint64  v,
             gboolean big)
{
  for (guint i = 0; i < bytes; i++)
    p[big ? bytes - 1 - i : i] = (guint8) (v >> (8 * i));
}

static gboolean
io_exif_src_read (const IoExifSrc *src,
                  guint64          at,
                  gsize            n,
                  guint8          *out)
{
  if (at > src->size || n > src->size - at)
    return FALSE;
  if (src->data != NULL)
    {
      memcpy (out, src->data + at, n);
      return TRUE;
    }
  while (n > 0)
    {
      ssize_t got = pread (src->fd, out, n, (off_t) at);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        return FALSE;
      out += got;
      at += (guint64) got;
      n -= (gsize) got;
    }
  return TRUE;
}

/* Reads the TIFF header at the start of @src: its byte order and layout
 * into @src, the offset of its first IFD into @first.  BigTIFF only
 * when @allow_big (a file; an EXIF block is classic). */
static gboolean
io_exif_src_header (IoExifSrc *src,
                    gboolean   allow_big,
                    guint64   *first)
{
  guint8 h[16];
  guint  magic;

  if (!io_exif_src_read (src, 0, 8, h)
      || !((h[0] == 'I' && h[1] == 'I') || (h[0] == 'M' && h[1] == 'M')))
    return FALSE;
  src->big = h[0] == 'M';
  magic = (guint) io_exif_get (h + 2, 2, src->big);
  src->big_tiff = magic == 43;
  if (magic == 42)
    *first = io_exif_get (h + 4, 4, src->big);
  else if (magic == 43 && allow_big && io_exif_src_read (src, 0, 16, h)
           && io_exif_get (h + 4, 2, src->big) == 8 && io_exif_get (h + 6, 2, src->big) == 0)
    *first = io_exif_get (h + 8, 8, src->big);
  else
    return FALSE;
  return TRUE;
}

static void
io_exif_entry_clear (gpointer p);

static IoExifIfd *
io_exif_ifd_new (void)
{
  IoExifIfd *ifd = g_new0 (IoExifIfd, 1);

  ifd->entries = g_array_new (FALSE, TRUE, sizeof (IoExifEntry));
  g_array_set_clear_func (ifd->entries, io_exif_entry_clear);
  return ifd;
}

static void
io_exif_ifd_free (IoExifIfd *ifd)
{
  if (ifd == NULL)
    return;
  g_array_unref (ifd->entries);
  g_free (ifd);
}

static void
io_exif_entry_clear (gpointer p)
{
  IoExifEntry *e = p;

  g_free (e->data);
  io_exif_ifd_free (e->sub);
}

static const IoExifEntry *
io_exif_ifd_find (const IoExifIfd *ifd,
                  guint            tag)
{
  for (guint i = 0; ifd != NULL && i < ifd->entries->len; i++)
    if (g_array_index (ifd->entries, IoExifEntry, i).tag == tag)
      return &g_array_index (ifd->entries, IoExifEntry, i);
  return NULL;
}

static gint
io_exif_entry_cmp (gconstpointer a,
                   gconstpointer b)
{
  return (gint) ((const IoExifEntry *) a)->tag - (gint) ((const IoExifEntry *) b)->tag;
}

/* The IFD that pointer tag @tag of an IFD of @kind leads to;
 * IO_EXIF_IFD_NONE when @tag is no pointer there. */
static IoExifKind
io_exif_sub_kind (IoExifKind kind,
                  guint      tag)
{
  if (kind == IO_EXIF_IFD_FIRST && tag == IO_EXIF_EXIF_IFD)
    return IO_EXIF_IFD_EXIF;
  if (kind == IO_EXIF_IFD_FIRST && tag == IO_EXIF_GPS_IFD)
    return IO_EXIF_IFD_GPS;
  if (kind == IO_EXIF_IFD_EXIF && tag == IO_EXIF_INTEROP_IFD)
    return IO_EXIF_IFD_INTEROP;
  return IO_EXIF_IFD_NONE;
}

static gboolean
io_exif_first_keeps (guint tag)
{
  for (gsize i = 0; i < G_N_ELEMENTS (io_exif_text_tags); i++)
    if (io_exif_text_tags[i] == tag)
      return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (io_exif_layout_tags); i++)
    if (io_exif_layout_tags[i] == tag)
      return TRUE;
  return FALSE;
}

/* Reads the IFD of @kind at @at of @src with the IFDs its pointers lead
 * to (a fixed tree: first -> EXIF -> interoperability, first -> GPS, so
 * a pointer back cannot loop).  Entries that cannot be carried are left
 * out.  Returns NULL when the IFD itself cannot be read. */
static IoExifIfd *
io_exif_ifd_read (IoExifSrc *src,
                  guint64    at,
                  IoExifKind kind)
{
  guint      head = src->big_tiff ? 8 : 2;
  guint      entry_size = src->big_tiff ? 20 : 12;
  guint      word = src->big_tiff ? 8 : 4;
  guint8     buf[20];
  guint64    n;
  IoExifIfd *ifd;

  if (!io_exif_src_read (src, at, head, buf))
    return NULL;
  n = io_exif_get (buf, head, src->big);
  if (n > IO_EXIF_MAX_ENTRIES)
    return NULL;
  ifd = io_exif_ifd_new ();
  for (guint64 i = 0; i < n; i++)
    {
      IoExifEntry   e = { 0 };
      const guint8 *value = buf + 4 + word;
      guint64       count, bytes;
      guint         size;
      IoExifKind    sub;

      if (!io_exif_src_read (src, at + head + i * entry_size, entry_size, buf))
        break;
      e.tag = (guint16) io_exif_get (buf, 2, src->big);
      e.type = (guint16) io_exif_get (buf + 2, 2, src->big);
      count = io_exif_get (buf + 4, word, src->big);
      if (io_exif_ifd_find (ifd, e.tag) != NULL)
        continue;
      sub = io_exif_sub_kind (kind, e.tag);
      if (sub != IO_EXIF_IFD_NONE)
        {
          /* an offset: LONG or IFD, or BigTIFF's LONG8 or IFD8 */
          guint bytes_off = e.type == IO_EXIF_LONG || e.type == IO_EXIF_IFD ? 4
                            : src->big_tiff && (e.type == IO_EXIF_LONG8 || e.type == IO_EXIF_IFD8)
                            ? 8 : 0;

          if (count == 1 && bytes_off > 0)
            e.sub = io_exif_ifd_read (src, io_exif_get (value, bytes_off, src->big), sub);
          if (e.sub == NULL || e.sub->entries->len == 0)
            {
              io_exif_ifd_free (e.sub);
              continue;
            }
          e.type = IO_EXIF_LONG;
          e.count = 1;
          g_array_append_val (ifd->entries, e);
          continue;
        }
      if (kind == IO_EXIF_IFD_FIRST && !io_exif_first_keeps (e.tag))
        continue;
      size = io_exif_type_size (e.type);
      if (size == 0 || count == 0 || count > src->budget / size)
        continue;
      bytes = count * size;
      e.count = (guint32) count;
      e.data = g_malloc ((gsize) bytes);
      if (bytes <= word)
        memcpy (e.data, value, (gsize) bytes);
      else if (!io_exif_src_read (src, io_exif_get (value, word, src->big), (gsize) bytes,
                                  e.data))
        {
          g_free (e.data);
          continue;
        }
      src->budget -= (gsize) bytes;
      if (src->big)
        io_exif_swap (e.data, (gsize) bytes, io_exif_word_size (e.type));
      g_array_append_val (ifd->entries, e);
    }
  g_array_sort (ifd->entries, io_exif_entry_cmp);
  return ifd;
}

/* Pads @sink to an even offset in the file: TIFF's values and IFDs
 * start on a word boundary. */
static void
io_exif_pad (IoExifSink *sink)
{
  static const guint8 zero = 0;

  if ((sink->base + sink->out->len) & 1)
    g_byte_array_append (sink->out, &zero, 1);
}

/* Appends @ifd to @sink, then the values that do not fit in its entries
 * and the IFDs its pointers lead to, in @sink's byte order and layout;
 * sets @offset to where @ifd lies in the file.  FALSE when an offset
 * does not fit a classic TIFF's 32 bits. */
static gboolean
io_exif_ifd_write (IoExifSink      *sink,
                   const IoExifIfd *ifd,
                   guint64         *offset)
{
  guint  head = sink->big_tiff ? 8 : 2;
  guint  entry_size = sink->big_tiff ? 20 : 12;
  guint  word = sink->big_tiff ? 8 : 4;
  guint  n = ifd->entries->len;
  gsize  start, size;

  io_exif_pad (sink);
  start = sink->out->len;
  *offset = sink->base + start;
  size = head + (gsize) n * entry_size + word;
  g_byte_array_set_size (sink->out, start + size);
  memset (sink->out->data + start, 0, size);
  io_exif_put (sink->out->data + start, head, n, sink->big);
  for (guint i = 0; i < n; i++)
    {
      const IoExifEntry *e = &g_array_index (ifd->entries, IoExifEntry, i);
      gsize              at = start + head + (gsize) i * entry_size;
      gsize              bytes = (gsize) e->count * io_exif_type_size (e->type);
      guint8            *value;

      io_exif_put (sink->out->data + at, 2, e->tag, sink->big);
      io_exif_put (sink->out->data + at + 2, 2,
                   e->sub != NULL && sink->big_tiff ? IO_EXIF_IFD8 : e->type, sink->big);
      io_exif_put (sink->out->data + at + 4, word, e->count, sink->big);
      if (e->sub != NULL)
        continue;               /* written below */
      if (bytes <= word)
        value = sink->out->data + at + 4 + word;
      else
        {
          io_exif_pad (sink);
          io_exif_put (sink->out->data + at + 4 + word, word, sink->base + sink->out->len,
                       sink->big);
          g_byte_array_set_size (sink->out, sink->out->len + bytes);
          value = sink->out->data + sink->out->len - bytes;
        }
      memcpy (value, e->data, bytes);
      if (sink->big)
        io_exif_swap (value, bytes, io_exif_word_size (e->type));
    }
  for (guint i = 0; i < n; i++)
    {
      const IoExifEntry *e = &g_array_index (ifd->entries, IoExifEntry, i);
      gsize              at = start + head + (gsize) i * entry_size;
      guint64            sub;

      if (e->sub == NULL)
        continue;
      if (!io_exif_ifd_write (sink, e->sub, &sub))
        return FALSE;
      io_exif_put (sink->out->data + at + 4 + word, word, sub, sink->big);
    }
  return sink->big_tiff || sink->base + sink->out->len <= G_MAXUINT32;
}

/* A little-endian EXIF block of @first and the IFDs it leads to; NULL
 * when it would be too large. */
static GBytes *
io_exif_block (const IoExifIfd *first)
{
  static const guint8 header[8] = { 'I', 'I', 42, 0, 8, 0, 0, 0 };
  IoExifSink          sink = { g_byte_array_new (), 0, FALSE, FALSE };
  guint64             at;

  g_byte_array_append (sink.out, header, sizeof header);
  if (!io_exif_ifd_write (&sink, first, &at) || at != 8)
    {
      g_byte_array_unref (sink.out);
      return NULL;
    }
  return g_byte_array_free_to_bytes (sink.out);
}

/* The block @exif read into its IFDs; NULL when it is no EXIF block. */
static IoExifIfd *
io_exif_block_read (const guint8 *data,
                    gsize         size)
{
  IoExifSrc src = { data, -1, size, FALSE, FALSE, IO_EXIF_MAX_BYTES };
  guint64   first;

  if (!io_exif_src_header (&src, FALSE, &first))
    return NULL;
  return io_exif_ifd_read (&src, first, IO_EXIF_IFD_FIRST);
}

/* The RATIONAL value of @e; 0 when it is none. */
static double
io_exif_rational (const IoExifEntry *e)
{
  guint64 num, den;

  if (e == NULL || e->type != IO_EXIF_RATIONAL || e->count != 1)
    return 0.0;
  num = io_exif_get (e->data, 4, FALSE);
  den = io_exif_get (e->data + 4, 4, FALSE);
  return den == 0 ? 0.0 : (double) num / (double) den;
}

/* The first SHORT value of @e; 0 when it is none. */
static guint
io_exif_short (const IoExifEntry *e)
{
  return e != NULL && e->type == IO_EXIF_SHORT ? (guint) io_exif_get (e->data, 2, FALSE) : 0;
}

/**
 * restore_io_exif_parse:
 * Reads the orientation and the resolution of the EXIF block @data
 * into @meta (the resolution as restore_io_meta_set_res() takes it); a
 * block that is not EXIF is left alone.
 * Returns whether @data is an EXIF block.
 */
gboolean
restore_io_exif_parse (const guint8  *data,
                       gsize          size,
                       RestoreIoMeta *meta)
{
  IoExifIfd         *first = io_exif_block_read (data, size);
  const IoExifEntry *e;
  guint              orientation, unit;
  double             x, y;

  if (first == NULL)
    return FALSE;
  orientation = io_exif_short (io_exif_ifd_find (first, IO_EXIF_ORIENTATION));
  if (orientation >= 1 && orientation <= 8)
    meta->orientation = (int) orientation;
  x = io_exif_rational (io_exif_ifd_find (first, IO_EXIF_XRES));
  y = io_exif_rational (io_exif_ifd_find (first, IO_EXIF_YRES));
  /* EXIF's ResolutionUnit: 1 none, 2 inch (the default), 3 centimetre */
  e = io_exif_ifd_find (first, IO_EXIF_RES_UNIT);
  unit = e != NULL && e->type == IO_EXIF_SHORT ? io_exif_short (e) : 2;
  if (unit >= 1 && unit <= 3)
    restore_io_meta_set_res (meta, x, y, unit == 1 ? RESTORE_IO_UNIT_NONE
                                         : unit == 2 ? RESTORE_IO_UNIT_INCH
                                         : RESTORE_IO_UNIT_CM);
  io_exif_ifd_free (first);
  return TRUE;
}

/**
 * restore_io_exif_for:
 * Returns the EXIF block an output of @meta gets: @meta's own, or, when
 * it has none (a TIFF without EXIF tags, a mask), one that holds just
 * the orientation; NULL when there is nothing to say (no EXIF and the
 * orientation is top left).  Unref the result.
 */
GBytes *
restore_io_exif_for (const RestoreIoMeta *meta)
{
  /* "II", 42, the IFD at 8; one entry: Orientation, SHORT, 1 value; no
   * further IFD */
  guint8 block[26] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                       0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                       0, 0, 0, 0 };

  if (meta->exif != NULL)
    return g_bytes_ref (meta->exif);
  if (meta->orientation <= 1 || meta->orientation > 8)
    return NULL;
  block[18] = (guint8) meta->orientation;
  return g_bytes_new (block, sizeof block);
}

/**
 * restore_io_exif_from_tiff:
 * @fd: an open TIFF file (read with pread(), its offset left alone)
 * Returns an EXIF block made of the first page's tags that describe the
 * picture (io_exif_text_tags, the orientation, the resolution) and its
 * EXIF and GPS IFDs; NULL when the page has none of them beyond the
 * orientation and the resolution, which the caller reads itself.
 * Unref the result.
 */
GBytes *
restore_io_exif_from_tiff (int fd)
{
  IoExifSrc   src = { NULL, fd, 0, FALSE, FALSE, IO_EXIF_MAX_BYTES };
  struct stat st;
  guint64     at;
  IoExifIfd  *first;
  GBytes     *block = NULL;

  if (fstat (fd, &st) != 0)
    return NULL;
  src.size = (guint64) st.st_size;
  if (!io_exif_src_header (&src, TRUE, &at)
      || (first = io_exif_ifd_read (&src, at, IO_EXIF_IFD_FIRST)) == NULL)
    return NULL;
  for (guint i = 0; i < first->entries->len; i++)
    {
      guint tag = g_array_index (first->entries, IoExifEntry, i).tag;
      gboolean layout = FALSE;

      for (gsize j = 0; j < G_N_ELEMENTS (io_exif_layout_tags); j++)
        layout |= io_exif_layout_tags[j] == tag;
      if (!layout)
        {
          block = io_exif_block (first);
          break;
        }
    }
  io_exif_ifd_free (first);
  return block;
}

/**
 * restore_io_exif_without_thumbnail:
 * Returns @exif made again of the tags that describe the picture (see
 * image-exif-private.h): without the thumbnail a camera adds in a
 * second IFD, nor the first IFD's other tags; NULL when @exif is no
 * EXIF block.  Unref the result.
 */
GBytes *
restore_io_exif_without_thumbnail (GBytes *exif)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (exif, &size);
  IoExifIfd    *first = io_exif_block_read (data, size);
  GBytes       *block;

  if (first == NULL)
    return NULL;
  block = io_exif_block (first);
  io_exif_ifd_free (first);
  return block;
}

/**
 * restore_io_exif_new:
 * Returns the EXIF block @exif read into its IFDs, for a TIFF output;
 * NULL when it is no EXIF block.  Free with restore_io_exif_free().
 */
RestoreIoExif *
restore_io_exif_new (GBytes *exif)
{
  gsize          size;
  const guint8  *data = g_bytes_get_data (exif, &size);
  IoExifIfd     *first = io_exif_block_read (data, size);
  RestoreIoExif *e;

  if (first == NULL)
    return NULL;
  e = g_new0 (RestoreIoExif, 1);
  e->first = first;
  return e;
}

/**
 * restore_io_exif_free:
 * Frees @exif; NULL is allowed.
 */
void
restore_io_exif_free (RestoreIoExif *exif)
{
  if (exif == NULL)
    return;
  io_exif_ifd_free (exif->first);
  g_free (exif);
}

/**
 * restore_io_exif_has_ifds:
 * Whether @exif has an EXIF or a GPS IFD, which a TIFF output gets with
 * restore_io_exif_write_tiff_ifds().
 */
gboolean
restore_io_exif_has_ifds (const RestoreIoExif *exif)
{
  return exif != NULL && (io_exif_ifd_find (exif->first, IO_EXIF_EXIF_IFD) != NULL
                          || io_exif_ifd_find (exif->first, IO_EXIF_GPS_IFD) != NULL);
}

/**
 * restore_io_exif_set_tiff_tags:
 * Sets the tags of the page of @tif being written that @exif's first
 * IFD describes the picture with (ImageDescription, Make, Model,
 * Software, DateTime, Artist, Copyright), and the pointers to its EXIF
 * and GPS IFDs, which hold 0 until restore_io_exif_write_tiff_ifds()
 * has written those IFDs after the finished file.  The orientation and
 * the resolution are the caller's (RestoreIoMeta).
 */
void
restore_io_exif_set_tiff_tags (const RestoreIoExif *exif,
                               TIFF                *tif)
{
  g_return_if_fail (exif != NULL && tif != NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (io_exif_text_tags); i++)
    {
      const IoExifEntry *e = io_exif_ifd_find (exif->first, io_exif_text_tags[i]);
      char              *text;

      if (e == NULL || e->type != IO_EXIF_ASCII)
        continue;
      text = g_strndup ((const char *) e->data, e->count);
      if (text[0] != '\0')
        TIFFSetField (tif, io_exif_text_tags[i], text);
      g_free (text);
    }
  if (io_exif_ifd_find (exif->first, IO_EXIF_EXIF_IFD) != NULL)
    TIFFSetField (tif, TIFFTAG_EXIFIFD, (guint64) 0);
  if (io_exif_ifd_find (exif->first, IO_EXIF_GPS_IFD) != NULL)
    TIFFSetField (tif, TIFFTAG_GPSIFD, (guint64) 0);
}

static gboolean
io_exif_pwrite (int           fd,
                const guint8 *data,
                gsize         n,
                guint64       at)
{
  while (n > 0)
    {
      ssize_t done = pwrite (fd, data, n, (off_t) at);

      if (done < 0 && errno == EINTR)
        continue;
      if (done <= 0)
        return FALSE;
      data += done;
      at += (guint64) done;
      n -= (gsize) done;
    }
  return TRUE;
}

/**
 * restore_io_exif_write_tiff_ifds:
 * @fd: a finished TIFF file, open for reading and writing, whose first
 *      page was written after restore_io_exif_set_tiff_tags()
 * Writes @exif's EXIF and GPS IFDs (with the interoperability IFD) at
 * the end of @fd, in the file's byte order and layout, and sets the
 * first page's pointers to them.  Returns FALSE (errno set where the
 * system failed) when the file cannot be read or written.
 */
gboolean
restore_io_exif_write_tiff_ifds (const RestoreIoExif *exif,
                                 int                  fd)
{
  IoExifSrc   src = { NULL, fd, 0, FALSE, FALSE, 0 };
  struct stat st;
  guint64     first, n;
  guint       head, entry_size, word;
  guint8      buf[20];

  g_return_val_if_fail (exif != NULL && fd >= 0, FALSE);

  if (fstat (fd, &st) != 0)
    return FALSE;
  src.size = (guint64) st.st_size;
  if (!io_exif_src_header (&src, TRUE, &first))
    return FALSE;
  head = src.big_tiff ? 8 : 2;
  entry_size = src.big_tiff ? 20 : 12;
  word = src.big_tiff ? 8 : 4;
  if (!io_exif_src_read (&src, first, head, buf))
    return FALSE;
  n = io_exif_get (buf, head, src.big);
  for (guint64 i = 0; i < n; i++)
    {
      guint64            at = first + head + i * entry_size;
      const IoExifEntry *e;
      IoExifSink         sink;
      guint64            ifd;
      guint              type, bytes;
      gboolean           ok;

      if (!io_exif_src_read (&src, at, entry_size, buf))
        return FALSE;
      e = io_exif_ifd_find (exif->first, (guint) io_exif_get (buf, 2, src.big));
      if (e == NULL || e->sub == NULL)
        continue;
      type = (guint) io_exif_get (buf + 2, 2, src.big);
      bytes = type == IO_EXIF_LONG || type == IO_EXIF_IFD ? 4 : 8;
      if (io_exif_get (buf + 4, word, src.big) != 1 || bytes > word)
        return FALSE;
      sink.out = g_byte_array_new ();
      sink.base = src.size;
      sink.big = src.big;
      sink.big_tiff = src.big_tiff;
      ok = io_exif_ifd_write (&sink, e->sub, &ifd)
           && (bytes == 8 || ifd <= G_MAXUINT32)
           && io_exif_pwrite (fd, sink.out->data, sink.out->len, src.size);
      if (ok)
        {
          src.size += sink.out->len;
          io_exif_put (buf, bytes, ifd, src.big);
          ok = io_exif_pwrite (fd, buf, bytes, at + 4 + word);
        }
      g_byte_array_unref (sink.out);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}
