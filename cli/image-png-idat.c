/* gimp-restore: a PNG's pixel data filtered and compressed on all cores
 * (see image-png-idat.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "image-png-idat.h"

#define WINDOW 32768    /* deflate's window: a part's dictionary */

typedef struct _Part Part;

struct _IoIdatWriter
{
  int            height, per, n_parts, threads;
  gsize          rowbytes;
  int            bpp, level;
  IoIdatRowFunc  rows;
  gpointer       data;
  Part          *parts;       /* one batch: a part per thread */
  GThread      **helpers;
};

struct _Part
{
  const IoIdatWriter *w;      /* the image */
  /* the part: rows [y0, y1) */
  int            y0, y1;
  gboolean       first, last;
  guint8        *out;
  gsize          out_len, out_alloc;
  uLong          adler;       /* of its filtered rows */
  gsize          filtered;    /* their bytes */
  const char    *failed;
};

static inline int
paeth (int a,
       int b,
       int c)
{
  int p = a + b - c;
  int pa = abs (p - a), pb = abs (p - b), pc = abs (p - c);

  if (pa <= pb && pa <= pc)
    return a;
  return pb <= pc ? b : c;
}

/* @out: the filter type (4, Paeth) and @n bytes of @raw less the Paeth
 * predictor from the pixel to the left, the one above (@prev, all zero
 * above the first row) and the one above left. */
static void
filter_row (const guint8 *raw,
            const guint8 *prev,
            gsize         n,
            int           bpp,
            guint8       *out)
{
  gsize first = MIN ((gsize) bpp, n);

  out[0] = 4;
  for (gsize i = 0; i < first; i++)
    out[1 + i] = (guint8) (raw[i] - prev[i]);   /* a = c = 0: the one above */
  for (gsize i = first; i < n; i++)
    out[1 + i] = (guint8) (raw[i] - paeth (raw[i - bpp], prev[i], prev[i - bpp]));
}

/* Room for @more bytes behind out_len. */
static gboolean
part_reserve (Part  *p,
              gsize  more)
{
  if (p->out_len + more > p->out_alloc)
    {
      gsize   alloc = MAX (p->out_alloc * 2, p->out_len + more);
      guint8 *out = g_try_realloc (p->out, alloc);

      if (out == NULL)
        return FALSE;
      p->out = out;
      p->out_alloc = alloc;
    }
  return TRUE;
}

/* Compresses what @zs holds with @flush into the part's output. */
static gboolean
part_deflate (Part     *p,
              z_stream *zs,
              int       flush)
{
  do
    {
      int ret;

      if (! part_reserve (p, 65536))
        return FALSE;
      zs->next_out = p->out + p->out_len;
      zs->avail_out = (uInt) (p->out_alloc - p->out_len);
      ret = deflate (zs, flush);
      p->out_len = p->out_alloc - zs->avail_out;
      if (ret == Z_STREAM_ERROR)
        return FALSE;
    }
  while (zs->avail_out == 0 || zs->avail_in > 0);
  return TRUE;
}

static void
part_run (Part *p)
{
  const IoIdatWriter *w = p->w;
  gsize    n = w->rowbytes;
  guint8  *raw = g_try_malloc (n), *prev = g_try_malloc0 (n), *filt = g_try_malloc (n + 1);
  guint8  *dict = NULL;
  z_stream zs;

  memset (&zs, 0, sizeof zs);
  p->adler = adler32 (0L, Z_NULL, 0);
  if (raw == NULL || prev == NULL || filt == NULL
      || deflateInit2 (&zs, w->level, Z_DEFLATED, -15, 8, Z_FILTERED) != Z_OK)
    {
      p->failed = "out of memory";
      goto out;
    }
  if (p->y0 > 0)
    {
      /* the part before's last filtered rows: the dictionary */
      int   k = (int) MIN ((gsize) p->y0, (WINDOW + n) / (n + 1));
      int   ys = p->y0 - k;
      gsize len = 0, use;

      dict = g_try_malloc ((gsize) k * (n + 1));
      if (dict == NULL)
        {
          p->failed = "out of memory";
          goto out;
        }
      if (ys > 0)
        w->rows (w->data, ys - 1, prev);
      for (int y = ys; y < p->y0; y++)
        {
          guint8 *t;

          w->rows (w->data, y, raw);
          filter_row (raw, prev, n, w->bpp, dict + len);
          len += n + 1;
          t = prev, prev = raw, raw = t;
        }
      use = MIN (len, (gsize) WINDOW);
      if (deflateSetDictionary (&zs, dict + len - use, (uInt) use) != Z_OK)
        {
          p->failed = "cannot compress";
          goto out;
        }
    }
  if (p->first)
    {
      /* the zlib header: deflate, 32 KiB window, zlib's level class */
      int cmf = 0x78, flg = (w->level < 2 ? 0 : w->level < 6 ? 1 : w->level == 6 ? 2 : 3) << 6;

      flg += 31 - (cmf * 256 + flg) % 31;
      if (! part_reserve (p, 2))
        {
          p->failed = "out of memory";
          goto out;
        }
      p->out[p->out_len++] = (guint8) cmf;
      p->out[p->out_len++] = (guint8) flg;
    }
  for (int y = p->y0; y < p->y1; y++)
    {
      guint8 *t;
      int     flush = y + 1 < p->y1 ? Z_NO_FLUSH : p->last ? Z_FINISH : Z_SYNC_FLUSH;

      w->rows (w->data, y, raw);
      filter_row (raw, prev, n, w->bpp, filt);
      p->adler = adler32 (p->adler, filt, (uInt) (n + 1));
      p->filtered += n + 1;
      zs.next_in = filt;
      zs.avail_in = (uInt) (n + 1);
      if (! part_deflate (p, &zs, flush))
        {
          p->failed = "cannot compress";
          goto out;
        }
      t = prev, prev = raw, raw = t;
    }

out:
  deflateEnd (&zs);
  g_free (raw);
  g_free (prev);
  g_free (filt);
  g_free (dict);
}

static gpointer
part_thread (gpointer data)
{
  part_run (data);
  return NULL;
}

/** io_idat_writer_new: See image-png-idat.h. */
IoIdatWriter *
io_idat_writer_new (int            height,
                    gsize          rowbytes,
                    int            bpp,
                    int            level,
                    int            threads,
                    IoIdatRowFunc  rows,
                    gpointer       data)
{
  IoIdatWriter *w = g_new0 (IoIdatWriter, 1);

  w->height = height;
  w->rowbytes = rowbytes;
  w->bpp = MAX (bpp, 1);
  w->level = level;
  w->rows = rows;
  w->data = data;
  w->per = (int) MAX ((gsize) 1, IO_IDAT_PART_BYTES / (rowbytes + 1));
  w->n_parts = (height + w->per - 1) / w->per;
  if (threads <= 0)
    threads = (int) g_get_num_processors ();
  w->threads = CLAMP (threads, 1, MAX (MIN (w->n_parts, 64), 1));
  w->parts = g_new0 (Part, w->threads);
  w->helpers = g_new0 (GThread *, w->threads);
  return w;
}

/** io_idat_writer_free: See image-png-idat.h. */
void
io_idat_writer_free (IoIdatWriter *w)
{
  if (w == NULL)
    return;
  for (int i = 0; i < w->threads; i++)
    g_free (w->parts[i].out);
  g_free (w->parts);
  g_free (w->helpers);
  g_free (w);
}

/** io_idat_writer_run: See image-png-idat.h. */
gboolean
io_idat_writer_run (IoIdatWriter  *w,
                    png_structp    png,
                    const gint    *cancel,
                    const char   **failed)
{
  uLong adler = adler32 (0L, Z_NULL, 0);

  *failed = NULL;
  for (int first = 0; first < w->n_parts; first += w->threads)
    {
      int count = MIN (w->threads, w->n_parts - first);

      if (cancel != NULL && g_atomic_int_get (cancel))
        return FALSE;
      for (int i = 0; i < count; i++)
        {
          Part   *p = &w->parts[i];
          guint8 *out = p->out;
          gsize   alloc = p->out_alloc;
          int     k = first + i;

          memset (p, 0, sizeof *p);
          p->w = w;
          p->out = out;               /* the buffer is used again */
          p->out_alloc = alloc;
          p->y0 = k * w->per;
          p->y1 = MIN (p->y0 + w->per, w->height);
          p->first = k == 0;
          p->last = k == w->n_parts - 1;
          if (i > 0)
            w->helpers[i] = g_thread_try_new ("png-deflate", part_thread, p, NULL);
        }
      part_run (&w->parts[0]);
      for (int i = 1; i < count; i++)
        {
          if (w->helpers[i] != NULL)
            g_thread_join (w->helpers[i]);
          else
            part_run (&w->parts[i]);   /* no thread: here */
          w->helpers[i] = NULL;
        }
      /* in order: each part's data, the last with the Adler-32 behind */
      for (int i = 0; i < count; i++)
        {
          Part *p = &w->parts[i];

          if (p->failed != NULL)
            {
              *failed = p->failed;
              return FALSE;
            }
          adler = adler32_combine (adler, p->adler, (z_off_t) p->filtered);
          if (p->last)
            {
              if (! part_reserve (p, 4))
                {
                  *failed = "out of memory";
                  return FALSE;
                }
              for (int b = 3; b >= 0; b--)
                p->out[p->out_len++] = (guint8) (adler >> (8 * b));
            }
          if (p->out_len > 0)
            png_write_chunk (png, (png_const_bytep) "IDAT", p->out, p->out_len);
        }
    }
  png_write_chunk (png, (png_const_bytep) "IEND", NULL, 0);
  return TRUE;
}
