/* gimp-restore: the GRST model-file container (layout in restore-file.h).
 *
 * The parser reads the file through a bounded cursor: every read checks
 * the bytes left before it touches them, and every size computed from the
 * file is checked against overflow and against the file size.  Nothing in
 * the file is trusted.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <glib/gstdio.h>

#include "restore-file.h"

#define HEADER_SIZE        40
#define TRAILER_SIZE       32                       /* SHA-256 */
#define ALIGNMENT_MIN      8
#define ALIGNMENT_MAX      4096
#define KEY_LEN_MAX        255
#define STRING_LEN_MAX     65536
#define ARRAY_COUNT_MAX    64
#define BUFFER_ALIGNMENT   64
#define FILE_SIZE_MAX      ((gint64) 512 * 1024 * 1024)

G_DEFINE_QUARK (restore-model-error-quark, restore_model_error)

G_STATIC_ASSERT (RESTORE_MODEL_ERROR_COUNT == 6);

typedef struct
{
  RestoreValueType type;
  union
  {
    guint32  u32;
    float    f32;
    char    *string;                                /* NUL-terminated copy */
    struct
    {
      guint32  count;
      guint32 *values;
    } array;
  } v;
} RestoreValue;

struct _RestoreFile
{
  GHashTable    *values;       /* key (owned) -> RestoreValue * (owned) */
  GHashTable    *tensor_index; /* name -> RestoreTensor * into tensors */
  RestoreTensor *tensors;      /* [n_tensors], names owned */
  guint32        n_tensors;
  guint8        *data;         /* the tensor data block, BUFFER_ALIGNMENT-aligned */
};

/* A bounded reader over [start, end) of the file. */
typedef struct
{
  const guint8 *base;
  gsize         pos;
  gsize         end;
} Cursor;

static gboolean
cursor_has (const Cursor *cur,
            gsize         n)
{
  return cur->pos <= cur->end && n <= cur->end - cur->pos;
}

static guint16
read_le16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static guint32
read_le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) |
         ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static guint64
read_le64 (const guint8 *p)
{
  return (guint64) read_le32 (p) | ((guint64) read_le32 (p + 4) << 32);
}

static void
value_free (gpointer data)
{
  RestoreValue *value = data;

  if (value->type == RESTORE_VALUE_STRING)
    g_free (value->v.string);
  else if (value->type == RESTORE_VALUE_U32_ARRAY)
    g_free (value->v.array.values);
  g_free (value);
}

static gboolean
name_is_valid (const guint8 *name,
               gsize         len)
{
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = name[i];

      if (! ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '.'))
        return FALSE;
    }
  return TRUE;
}

/** restore_model_error: See restore-file.h. */
gboolean
restore_model_error (GError           **error,
                     RestoreModelError  code,
                     const char        *format,
                     ...)
{
  va_list  args;
  char    *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, RESTORE_MODEL_ERROR, code, message);
  g_free (message);
  return FALSE;
}

#define format_error(error, ...) \
  restore_model_error (error, RESTORE_MODEL_ERROR_FORMAT, __VA_ARGS__)

/* Reads a u16 length and that many bytes of a [a-z0-9_.] name; @what is
 * "metadata key" or "tensor name", @index the entry number. */
static char *
read_name (Cursor      *cur,
           const char  *what,
           guint32      index,
           GError     **error)
{
  guint16 len;
  char   *name;

  if (! cursor_has (cur, 2))
    {
      format_error (error, "%s %u: length runs past the end of the table "
                    "(byte %" G_GSIZE_FORMAT ")", what, index, cur->pos);
      return NULL;
    }
  len = read_le16 (cur->base + cur->pos);
  cur->pos += 2;
  if (len < 1 || len > KEY_LEN_MAX)
    {
      format_error (error, "%s %u has length %u, expected 1..%d",
                    what, index, len, KEY_LEN_MAX);
      return NULL;
    }
  if (! cursor_has (cur, len))
    {
      format_error (error, "%s %u (%u bytes) runs past the end of the table "
                    "(byte %" G_GSIZE_FORMAT ")", what, index, len, cur->pos);
      return NULL;
    }
  if (! name_is_valid (cur->base + cur->pos, len))
    {
      format_error (error, "%s %u contains a character outside [a-z0-9_.]",
                    what, index);
      return NULL;
    }
  name = g_strndup ((const char *) cur->base + cur->pos, len);
  cur->pos += len;
  return name;
}

static gboolean
parse_value (Cursor        *cur,
             const char    *key,
             RestoreValue  *value,
             GError       **error)
{
  guint8 type;

  if (! cursor_has (cur, 1))
    return format_error (error, "metadata '%s': type runs past the end of "
                         "the table", key);
  type = cur->base[cur->pos++];
  value->type = type;

  switch (type)
    {
    case RESTORE_VALUE_U32:
    case RESTORE_VALUE_F32:
      if (! cursor_has (cur, 4))
        return format_error (error, "metadata '%s': value runs past the end "
                             "of the table", key);
      if (type == RESTORE_VALUE_U32)
        {
          value->v.u32 = read_le32 (cur->base + cur->pos);
        }
      else
        {
          guint32 bits = read_le32 (cur->base + cur->pos);

          memcpy (&value->v.f32, &bits, sizeof bits);
        }
      cur->pos += 4;
      return TRUE;

    case RESTORE_VALUE_STRING:
      {
        guint32 len;

        value->v.string = NULL;
        if (! cursor_has (cur, 4))
          return format_error (error, "metadata '%s': string length runs "
                               "past the end of the table", key);
        len = read_le32 (cur->base + cur->pos);
        cur->pos += 4;
        if (len > STRING_LEN_MAX)
          return format_error (error, "metadata '%s': string length %u is "
                               "over the limit %d", key, len, STRING_LEN_MAX);
        if (! cursor_has (cur, len))
          return format_error (error, "metadata '%s': string of %u bytes "
                               "runs past the end of the table", key, len);
        if (len > 0 &&
            ! g_utf8_validate_len ((const char *) cur->base + cur->pos, len, NULL))
          return format_error (error, "metadata '%s': string is not valid "
                               "UTF-8 or contains a NUL byte", key);
        value->v.string = g_strndup ((const char *) cur->base + cur->pos, len);
        cur->pos += len;
        return TRUE;
      }

    case RESTORE_VALUE_U32_ARRAY:
      {
        guint32 count;

        value->v.array.count = 0;
        value->v.array.values = NULL;
        if (! cursor_has (cur, 4))
          return format_error (error, "metadata '%s': array count runs past "
                               "the end of the table", key);
        count = read_le32 (cur->base + cur->pos);
        cur->pos += 4;
        if (count > ARRAY_COUNT_MAX)
          return format_error (error, "metadata '%s': array count %u is over "
                               "the limit %d", key, count, ARRAY_COUNT_MAX);
        if (! cursor_has (cur, (gsize) count * 4))
          return format_error (error, "metadata '%s': array of %u values runs "
                               "past the end of the table", key, count);
        value->v.array.count = count;
        value->v.array.values = g_new0 (guint32, MAX (count, 1));
        for (guint32 i = 0; i < count; i++)
          value->v.array.values[i] = read_le32 (cur->base + cur->pos + 4 * i);
        cur->pos += (gsize) count * 4;
        return TRUE;
      }

    default:
      value->type = RESTORE_VALUE_U32;  /* nothing to free */
      return format_error (error, "metadata '%s' has unknown value type %u",
                           key, type);
    }
}

static gboolean
parse_metadata (RestoreFile  *file,
                Cursor       *cur,
                guint32       n_kv,
                GError      **error)
{
  for (guint32 i = 0; i < n_kv; i++)
    {
      RestoreValue *value;
      char         *key = read_name (cur, "metadata key", i, error);

      if (! key)
        return FALSE;
      if (g_hash_table_contains (file->values, key))
        {
          format_error (error, "metadata key '%s' appears twice", key);
          g_free (key);
          return FALSE;
        }
      value = g_new0 (RestoreValue, 1);
      if (! parse_value (cur, key, value, error))
        {
          value_free (value);
          g_free (key);
          return FALSE;
        }
      g_hash_table_insert (file->values, key, value);
    }
  return TRUE;
}

static char *
dims_to_string (const guint32 *dims,
                int            n_dims)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%u", i ? ", " : "", dims[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

typedef struct
{
  guint64 offset;
  guint64 bytes;
  guint32 index;
} Extent;

static int
extent_compare (const void *a,
                const void *b)
{
  const Extent *ea = a;
  const Extent *eb = b;

  if (ea->offset != eb->offset)
    return ea->offset < eb->offset ? -1 : 1;
  return 0;
}

static gboolean
parse_tensors (RestoreFile  *file,
               Cursor       *cur,
               guint32       n_tensors,
               guint32       alignment,
               guint64       data_size,
               Extent       *extents,
               GError      **error)
{
  for (guint32 i = 0; i < n_tensors; i++)
    {
      RestoreTensor *t = &file->tensors[i];
      guint32        n_dims, dtype;
      guint64        offset;
      gsize          n_elements = 1, n_bytes;
      char          *name = read_name (cur, "tensor name", i, error);

      if (! name)
        return FALSE;
      t->name = name;
      file->n_tensors = i + 1;  /* so the name is freed with the file */
      if (g_hash_table_contains (file->tensor_index, name))
        return format_error (error, "tensor name '%s' appears twice", name);
      g_hash_table_insert (file->tensor_index, name, t);

      if (! cursor_has (cur, 4))
        return format_error (error, "tensor '%s': dimension count runs past "
                             "the end of the table", name);
      n_dims = read_le32 (cur->base + cur->pos);
      cur->pos += 4;
      if (n_dims < 1 || n_dims > RESTORE_MODEL_MAX_DIMS)
        return format_error (error, "tensor '%s' has %u dimensions, expected "
                             "1..%d", name, n_dims, RESTORE_MODEL_MAX_DIMS);
      if (! cursor_has (cur, (gsize) n_dims * 4 + 4 + 8))
        return format_error (error, "tensor '%s': entry runs past the end of "
                             "the table", name);
      t->n_dims = (int) n_dims;
      for (guint32 d = 0; d < n_dims; d++)
        {
          guint32 dim = read_le32 (cur->base + cur->pos);

          cur->pos += 4;
          if (dim < 1 || dim > RESTORE_MODEL_DIM_MAX)
            return format_error (error, "tensor '%s': dimension %u is %u, "
                                 "expected 1..%d", name, d, dim,
                                 RESTORE_MODEL_DIM_MAX);
          t->dims[d] = dim;
          if (! g_size_checked_mul (&n_elements, n_elements, dim))
            return format_error (error, "tensor '%s': element count "
                                 "overflows", name);
        }
      if (! g_size_checked_mul (&n_bytes, n_elements, sizeof (float)))
        return format_error (error, "tensor '%s': byte size overflows", name);
      t->n_elements = n_elements;

      dtype = read_le32 (cur->base + cur->pos);
      cur->pos += 4;
      if (dtype != 0)
        return format_error (error, "tensor '%s' has data type %u, only 0 "
                             "(f32) is supported", name, dtype);

      offset = read_le64 (cur->base + cur->pos);
      cur->pos += 8;
      if (offset % alignment != 0)
        return format_error (error, "tensor '%s': offset %" G_GUINT64_FORMAT
                             " is not a multiple of the alignment %u",
                             name, offset, alignment);
      if (offset > data_size || (guint64) n_bytes > data_size - offset)
        {
          char *shape = dims_to_string (t->dims, t->n_dims);

          format_error (error, "tensor '%s' %s at offset %" G_GUINT64_FORMAT
                        " (%" G_GSIZE_FORMAT " bytes) lies outside the data "
                        "block of %" G_GUINT64_FORMAT " bytes",
                        name, shape, offset, n_bytes, data_size);
          g_free (shape);
          return FALSE;
        }
      extents[i].offset = offset;
      extents[i].bytes = n_bytes;
      extents[i].index = i;
    }

  qsort (extents, n_tensors, sizeof (Extent), extent_compare);
  for (guint32 i = 1; i < n_tensors; i++)
    {
      /* extents[i - 1] lies inside the block, so this cannot overflow */
      if (extents[i - 1].offset + extents[i - 1].bytes > extents[i].offset)
        return format_error (error, "tensors '%s' and '%s' overlap",
                             file->tensors[extents[i - 1].index].name,
                             file->tensors[extents[i].index].name);
    }
  return TRUE;
}

static gboolean
check_checksum (const guint8  *data,
                gsize          size,
                GError       **error)
{
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8     digest[32];
  gsize      digest_len = sizeof digest;
  gboolean   ok;

  g_checksum_update (checksum, data, (gssize) (size - TRAILER_SIZE));
  g_checksum_get_digest (checksum, digest, &digest_len);
  g_checksum_free (checksum);
  ok = digest_len == TRAILER_SIZE &&
       memcmp (digest, data + size - TRAILER_SIZE, TRAILER_SIZE) == 0;
#ifdef RESTORE_FUZZING
  /* Fuzz builds only: let mutated files reach the structural checks. */
  ok = TRUE;
#endif
  if (! ok)
    g_set_error_literal (error, RESTORE_MODEL_ERROR,
                         RESTORE_MODEL_ERROR_CHECKSUM,
                         "SHA-256 checksum mismatch: the file is damaged");
  return ok;
}

/**
 * restore_file_free:
 * @file: (nullable): a file from restore_file_load() or
 *   restore_file_load_from_data()
 * Frees the file, its metadata and its tensor data.
 */
void
restore_file_free (RestoreFile *file)
{
  if (! file)
    return;
  g_hash_table_destroy (file->values);
  g_hash_table_destroy (file->tensor_index);
  for (guint32 i = 0; i < file->n_tensors; i++)
    g_free ((char *) file->tensors[i].name);
  g_free (file->tensors);
  if (file->data)
    g_aligned_free (file->data);
  g_free (file);
}

/**
 * restore_file_load_from_data:
 * @data: the whole file, copied by the call
 * @size: its length in bytes
 * @error: return location for a RESTORE_MODEL_ERROR
 * Parses and validates the container.  Returns a new RestoreFile (free
 * with restore_file_free()) or NULL with @error set.
 */
RestoreFile *
restore_file_load_from_data (const guint8  *data,
                             gsize          size,
                             GError       **error)
{
  RestoreFile *file;
  Cursor       cur;
  Extent      *extents;
  guint32      version, alignment, n_kv, n_tensors, reserved;
  guint64      data_offset, data_size, avail;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (size < 4 || memcmp (data, RESTORE_MODEL_MAGIC, 4) != 0)
    {
      format_error (error, "not a model file: the magic bytes are not "
                    "\"" RESTORE_MODEL_MAGIC "\"");
      return NULL;
    }
  if (size < HEADER_SIZE + TRAILER_SIZE)
    {
      format_error (error, "file is too short (%" G_GSIZE_FORMAT " bytes) "
                    "for a header and a checksum", size);
      return NULL;
    }
  version = read_le32 (data + 4);
  if (version < RESTORE_MODEL_VERSION_MIN || version > RESTORE_MODEL_VERSION_MAX)
    {
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_VERSION,
                   "model file version %u is not supported (this build reads "
                   "versions %d..%d)%s", version, RESTORE_MODEL_VERSION_MIN,
                   RESTORE_MODEL_VERSION_MAX,
                   version > RESTORE_MODEL_VERSION_MAX ?
                   "; a newer gimp-restore is needed" : "");
      return NULL;
    }
  if (! check_checksum (data, size, error))
    return NULL;

  alignment = read_le32 (data + 8);
  n_kv = read_le32 (data + 12);
  n_tensors = read_le32 (data + 16);
  reserved = read_le32 (data + 20);
  data_offset = read_le64 (data + 24);
  data_size = read_le64 (data + 32);

  if (alignment < ALIGNMENT_MIN || alignment > ALIGNMENT_MAX ||
      (alignment & (alignment - 1)) != 0)
    {
      format_error (error, "tensor alignment %u is not a power of two in "
                    "%d..%d", alignment, ALIGNMENT_MIN, ALIGNMENT_MAX);
      return NULL;
    }
  if (n_kv > RESTORE_MODEL_MAX_KV)
    {
      format_error (error, "%u metadata entries, the limit is %d",
                    n_kv, RESTORE_MODEL_MAX_KV);
      return NULL;
    }
  if (n_tensors > RESTORE_MODEL_MAX_TENSORS)
    {
      format_error (error, "%u tensors, the limit is %d",
                    n_tensors, RESTORE_MODEL_MAX_TENSORS);
      return NULL;
    }
  if (reserved != 0)
    {
      format_error (error, "reserved header field is %u, expected 0", reserved);
      return NULL;
    }
  avail = (guint64) size - TRAILER_SIZE;
  if (data_offset > avail || data_size != avail - data_offset)
    {
      format_error (error, "file length %" G_GSIZE_FORMAT " does not match "
                    "data_offset %" G_GUINT64_FORMAT " + data_size %"
                    G_GUINT64_FORMAT " + %d", size, data_offset, data_size,
                    TRAILER_SIZE);
      return NULL;
    }
  if (data_offset < HEADER_SIZE || data_offset % alignment != 0)
    {
      format_error (error, "data_offset %" G_GUINT64_FORMAT " is not a "
                    "multiple of the alignment %u after the header",
                    data_offset, alignment);
      return NULL;
    }

  file = g_new0 (RestoreFile, 1);
  file->values = g_hash_table_new_full (g_str_hash, g_str_equal,
                                        g_free, value_free);
  file->tensor_index = g_hash_table_new (g_str_hash, g_str_equal);
  file->tensors = g_new0 (RestoreTensor, MAX (n_tensors, 1));
  extents = g_new0 (Extent, MAX (n_tensors, 1));

  /* The table must end before the tensor data. */
  cur.base = data;
  cur.pos = HEADER_SIZE;
  cur.end = (gsize) data_offset;

  if (! parse_metadata (file, &cur, n_kv, error) ||
      ! parse_tensors (file, &cur, n_tensors, alignment, data_size,
                       extents, error))
    goto fail;

  for (gsize p = cur.pos; p < cur.end; p++)
    if (data[p] != 0)
      {
        format_error (error, "padding byte %" G_GSIZE_FORMAT " before the "
                      "tensor data is not zero", p);
        goto fail;
      }

  if (data_size > 0)
    {
      file->data = g_aligned_alloc (1, (gsize) data_size, BUFFER_ALIGNMENT);
      memcpy (file->data, data + data_offset, (gsize) data_size);
    }
  /* extents are sorted by offset; index names the tensor */
  for (guint32 i = 0; i < n_tensors; i++)
    file->tensors[extents[i].index].data =
      (const float *) (file->data + extents[i].offset);

  g_free (extents);
  return file;

fail:
  g_free (extents);
  restore_file_free (file);
  return NULL;
}

/**
 * restore_file_load:
 * @path: a model file
 * @error: return location for a RESTORE_MODEL_ERROR
 * Reads and validates a model file (at most 512 MB).  Returns a new
 * RestoreFile (free with restore_file_free()) or NULL with @error set; the
 * message starts with the path.
 */
RestoreFile *
restore_file_load (const char  *path,
                   GError     **error)
{
  GStatBuf     st;
  GError      *local = NULL;
  char        *contents = NULL;
  gsize        length = 0;
  RestoreFile *file;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO,
                   "%s: cannot read the model file: %s", path,
                   g_strerror (saved));
      return NULL;
    }
  if (! S_ISREG (st.st_mode))
    {
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO,
                   "%s: not a regular file", path);
      return NULL;
    }
  if ((gint64) st.st_size > FILE_SIZE_MAX)
    {
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO,
                   "%s: file is too large (%" G_GINT64_FORMAT " bytes, the "
                   "limit for a model file is 512 MB)", path,
                   (gint64) st.st_size);
      return NULL;
    }
  if (! g_file_get_contents (path, &contents, &length, &local))
    {
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO,
                   "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  file = restore_file_load_from_data ((const guint8 *) contents, length, error);
  g_free (contents);
  if (! file)
    g_prefix_error (error, "%s: ", path);
  return file;
}

/**
 * restore_file_get_tensor:
 * Returns the tensor called @name, owned by @file, or NULL.
 */
const RestoreTensor *
restore_file_get_tensor (const RestoreFile *file,
                         const char        *name)
{
  g_return_val_if_fail (file != NULL && name != NULL, NULL);
  return g_hash_table_lookup (file->tensor_index, name);
}

/**
 * restore_file_get_n_tensors:
 * Returns the number of tensors in @file.
 */
guint
restore_file_get_n_tensors (const RestoreFile *file)
{
  g_return_val_if_fail (file != NULL, 0);
  return file->n_tensors;
}

/**
 * restore_file_get_tensor_nth:
 * Returns tensor @index in file order, owned by @file.
 */
const RestoreTensor *
restore_file_get_tensor_nth (const RestoreFile *file,
                             guint              index)
{
  g_return_val_if_fail (file != NULL && index < file->n_tensors, NULL);
  return &file->tensors[index];
}

static const RestoreValue *
lookup_value (const RestoreFile *file,
              const char        *key,
              RestoreValueType   type)
{
  const RestoreValue *value = g_hash_table_lookup (file->values, key);

  return value && value->type == type ? value : NULL;
}

/**
 * restore_file_has_key:
 * Returns TRUE when the metadata holds @key, whatever its type.
 */
gboolean
restore_file_has_key (const RestoreFile *file,
                      const char        *key)
{
  g_return_val_if_fail (file != NULL && key != NULL, FALSE);
  return g_hash_table_contains (file->values, key);
}

/**
 * restore_file_get_u32:
 * Sets *@value and returns TRUE when @key is present and a u32.
 */
gboolean
restore_file_get_u32 (const RestoreFile *file,
                      const char        *key,
                      guint32           *value)
{
  const RestoreValue *v;

  g_return_val_if_fail (file != NULL && key != NULL && value != NULL, FALSE);
  v = lookup_value (file, key, RESTORE_VALUE_U32);
  if (v)
    *value = v->v.u32;
  return v != NULL;
}

/**
 * restore_file_get_f32:
 * Sets *@value and returns TRUE when @key is present and an f32.
 */
gboolean
restore_file_get_f32 (const RestoreFile *file,
                      const char        *key,
                      float             *value)
{
  const RestoreValue *v;

  g_return_val_if_fail (file != NULL && key != NULL && value != NULL, FALSE);
  v = lookup_value (file, key, RESTORE_VALUE_F32);
  if (v)
    *value = v->v.f32;
  return v != NULL;
}

/**
 * restore_file_get_string:
 * Returns the string value of @key, owned by @file, or NULL when absent
 * or not a string.
 */
const char *
restore_file_get_string (const RestoreFile *file,
                         const char        *key)
{
  const RestoreValue *v;

  g_return_val_if_fail (file != NULL && key != NULL, NULL);
  v = lookup_value (file, key, RESTORE_VALUE_STRING);
  return v ? v->v.string : NULL;
}

/**
 * restore_file_get_u32_array:
 * Returns the u32 array of @key (owned by @file) and sets *@count, or NULL
 * when the key is absent or not a u32 array.
 */
const guint32 *
restore_file_get_u32_array (const RestoreFile *file,
                            const char        *key,
                            guint32           *count)
{
  const RestoreValue *v;

  g_return_val_if_fail (file != NULL && key != NULL && count != NULL, NULL);
  v = lookup_value (file, key, RESTORE_VALUE_U32_ARRAY);
  if (! v)
    return NULL;
  *count = v->v.array.count;
  return v->v.array.values;
}
