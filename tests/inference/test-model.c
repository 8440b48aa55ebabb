/* gimp-restore tests: the GRST container loader and the U-Net's metadata
 * and tensor checks.  Files are built in memory by grst-writer.h; each
 * rejection test corrupts one field, usually recomputing the checksum so
 * the structural check itself must catch it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "restore-file.h"
#include "restore-unet.h"
#include "grst-writer.h"

/* The sample container: four metadata entries, two tensors. */
typedef struct
{
  guint8       *data;
  gsize         size;
  WriterLayout  layout;
  gsize         kv[4];       /* absolute entry offsets */
  gsize         tensor[2];
} Sample;

static const float one_data[6] = { 1, 2, 3, 4, 5, 6 };
static const float two_data[4] = { -1, -2, -3, -4 };

static void
sample_init (Sample *s)
{
  Writer  *w = writer_new (32);
  guint32  arr[3] = { 1, 2, 3 };
  guint32  one[2] = { 2, 3 };
  guint32  two[4] = { 1, 1, 1, 4 };

  writer_add_u32 (w, "key.a", 7);
  writer_add_f32 (w, "key.b", 1.5f);
  writer_add_string (w, "key.c", "h\xc3\xa9llo");
  writer_add_u32_array (w, "key.d", arr, 3);
  writer_add_tensor (w, "t.one", 2, one, one_data);
  writer_add_tensor (w, "t.two", 4, two, two_data);
  s->data = writer_finish (w, &s->size, &s->layout);
  for (int i = 0; i < 4; i++)
    s->kv[i] = s->layout.kv_start + w->kv_at[i];
  for (int i = 0; i < 2; i++)
    s->tensor[i] = s->layout.tensor_start + w->tensor_at[i];
  writer_free (w);
}

static void
sample_clear (Sample *s)
{
  g_free (s->data);
}

/* Asserts that the loader rejects @data with @code and a message that
 * contains @text. */
static void
expect_reject (const guint8 *data,
               gsize         size,
               int           code,
               const char   *text)
{
  GError      *error = NULL;
  RestoreFile *file = restore_file_load_from_data (data, size, &error);

  g_assert_null (file);
  g_assert_error (error, RESTORE_MODEL_ERROR, code);
  g_test_message ("rejected: %s", error->message);
  if (text && ! strstr (error->message, text))
    g_error ("message '%s' does not contain '%s'", error->message, text);
  g_error_free (error);
}

/* --- valid files ------------------------------------------------------ */

static void
test_valid_read_back (void)
{
  Sample               s;
  GError              *error = NULL;
  RestoreFile         *file;
  const RestoreTensor *t;
  const guint32       *arr;
  guint32              u, count;
  float                f;

  sample_init (&s);
  file = restore_file_load_from_data (s.data, s.size, &error);
  g_assert_no_error (error);
  g_assert_nonnull (file);

  g_assert_true (restore_file_get_u32 (file, "key.a", &u));
  g_assert_cmpuint (u, ==, 7);
  g_assert_true (restore_file_get_f32 (file, "key.b", &f));
  g_assert_cmpfloat (f, ==, 1.5f);
  g_assert_cmpstr (restore_file_get_string (file, "key.c"), ==, "h\xc3\xa9llo");
  arr = restore_file_get_u32_array (file, "key.d", &count);
  g_assert_nonnull (arr);
  g_assert_cmpuint (count, ==, 3);
  g_assert_cmpuint (arr[2], ==, 3);

  /* wrong types and absent keys */
  g_assert_false (restore_file_get_u32 (file, "key.b", &u));
  g_assert_false (restore_file_get_f32 (file, "key.a", &f));
  g_assert_null (restore_file_get_string (file, "key.a"));
  g_assert_null (restore_file_get_u32_array (file, "key.c", &count));
  g_assert_false (restore_file_get_u32 (file, "nope", &u));

  g_assert_cmpuint (restore_file_get_n_tensors (file), ==, 2);
  t = restore_file_get_tensor (file, "t.one");
  g_assert_nonnull (t);
  g_assert_cmpint (t->n_dims, ==, 2);
  g_assert_cmpuint (t->dims[0], ==, 2);
  g_assert_cmpuint (t->dims[1], ==, 3);
  g_assert_cmpuint (t->n_elements, ==, 6);
  g_assert_cmpmem (t->data, 6 * sizeof (float), one_data, sizeof one_data);
  g_assert_cmpuint ((guintptr) t->data % 32, ==, 0);
  t = restore_file_get_tensor (file, "t.two");
  g_assert_nonnull (t);
  g_assert_cmpint (t->n_dims, ==, 4);
  g_assert_cmpuint (t->n_elements, ==, 4);
  g_assert_cmpmem (t->data, 4 * sizeof (float), two_data, sizeof two_data);
  g_assert_cmpuint ((guintptr) t->data % 32, ==, 0);
  g_assert_true (restore_file_get_tensor_nth (file, 1) == t);
  g_assert_null (restore_file_get_tensor (file, "t.three"));

  restore_file_free (file);
  sample_clear (&s);
}

static void
test_valid_empty (void)
{
  Writer      *w = writer_new (8);
  gsize        size;
  guint8      *data = writer_finish (w, &size, NULL);
  GError      *error = NULL;
  RestoreFile *file = restore_file_load_from_data (data, size, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (size, ==, 72);
  g_assert_cmpuint (restore_file_get_n_tensors (file), ==, 0);
  restore_file_free (file);
  writer_free (w);
  g_free (data);
}

static void
test_valid_from_path (void)
{
  Sample       s;
  GError      *error = NULL;
  char        *dir = g_dir_make_tmp ("restore-model-XXXXXX", &error);
  char        *path;
  RestoreFile *file;

  g_assert_no_error (error);
  sample_init (&s);
  path = g_build_filename (dir, "sample.grst", NULL);
  g_assert_true (g_file_set_contents (path, (const char *) s.data,
                                      (gssize) s.size, NULL));
  file = restore_file_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (restore_file_get_tensor (file, "t.two"));
  restore_file_free (file);

  /* a damaged file: the message names the path */
  s.data[s.size - 1] ^= 1;
  g_assert_true (g_file_set_contents (path, (const char *) s.data,
                                      (gssize) s.size, NULL));
  g_assert_null (restore_file_load (path, &error));
  g_assert_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_CHECKSUM);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  g_remove (path);
  g_assert_null (restore_file_load (path, &error));
  g_assert_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO);
  g_clear_error (&error);

  g_assert_null (restore_file_load (dir, &error));
  g_assert_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO);
  g_clear_error (&error);

  g_rmdir (dir);
  g_free (path);
  g_free (dir);
  sample_clear (&s);
}

/* The fuzz seeds (fuzz/corpus/seed-*.grst) stay valid: every container
 * loads, and every "unet" one loads as a network. */
static void
test_valid_fuzz_seeds (void)
{
  char       *dir_path = g_test_build_filename (G_TEST_DIST, "..", "fuzz",
                                                "corpus", NULL);
  GDir       *dir = g_dir_open (dir_path, 0, NULL);
  const char *entry;
  int         n_files = 0, n_models = 0;

  g_assert_nonnull (dir);
  while ((entry = g_dir_read_name (dir)))
    {
      char         *path;
      GError       *error = NULL;
      RestoreFile  *file;
      const char   *arch;

      if (! g_str_has_prefix (entry, "seed-") ||
          ! g_str_has_suffix (entry, RESTORE_MODEL_SUFFIX))
        continue;
      path = g_build_filename (dir_path, entry, NULL);
      file = restore_file_load (path, &error);
      g_assert_no_error (error);
      n_files++;
      arch = restore_file_get_string (file, "general.architecture");
      if (arch && strcmp (arch, "unet") == 0)
        {
          RestoreModel *model = restore_model_load (path, &error);

          g_assert_no_error (error);
          restore_model_free (model);
          n_models++;
        }
      restore_file_free (file);
      g_free (path);
    }
  g_dir_close (dir);
  g_free (dir_path);
  g_test_message ("%d seed files, %d models", n_files, n_models);
  g_assert_cmpint (n_files, >=, 2);
  g_assert_cmpint (n_models, >=, 1);
}

static void
test_reject_too_large (void)
{
  GError *error = NULL;
  char   *path;
  int     fd = g_file_open_tmp ("restore-large-XXXXXX.grst", &path, &error);

  g_assert_no_error (error);
  /* sparse: no disk used */
  g_assert_cmpint (ftruncate (fd, (off_t) 513 * 1024 * 1024), ==, 0);
  close (fd);
  g_assert_null (restore_file_load (path, &error));
  g_assert_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_clear_error (&error);
  g_remove (path);
  g_free (path);
}

/* --- header ----------------------------------------------------------- */

static void
test_reject_bad_magic (void)
{
  Sample s;

  sample_init (&s);
  s.data[0] = 'X';
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT, "magic");
  expect_reject ((const guint8 *) "", 0, RESTORE_MODEL_ERROR_FORMAT, "magic");
  sample_clear (&s);
}

static void
test_reject_too_short (void)
{
  Sample s;

  sample_init (&s);
  expect_reject (s.data, 71, RESTORE_MODEL_ERROR_FORMAT, "too short");
  sample_clear (&s);
}

static void
test_reject_version_new (void)
{
  Sample s;

  sample_init (&s);
  poke_u32 (s.data + 4, 2);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_VERSION, "version 2 ");
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_VERSION, "1..1");
  sample_clear (&s);
}

static void
test_reject_version_old (void)
{
  Sample s;

  sample_init (&s);
  poke_u32 (s.data + 4, 0);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_VERSION, "version 0 ");
  sample_clear (&s);
}

static void
test_reject_checksum (void)
{
  Sample s;

  sample_init (&s);
  s.data[s.layout.data_offset + 5] ^= 0x10;  /* inside tensor data */
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_CHECKSUM, "SHA-256");
  sample_clear (&s);
}

/* Every single-bit flip fails; past the magic and version it is the
 * checksum that catches it. */
static void
test_reject_bit_flip_anywhere (void)
{
  Sample s;

  sample_init (&s);
  for (gsize i = 0; i < s.size; i++)
    for (int bit = 0; bit < 8; bit++)
      {
        GError      *error = NULL;
        RestoreFile *file;

        s.data[i] ^= 1 << bit;
        file = restore_file_load_from_data (s.data, s.size, &error);
        g_assert_null (file);
        if (i >= 8)
          g_assert_error (error, RESTORE_MODEL_ERROR,
                          RESTORE_MODEL_ERROR_CHECKSUM);
        else
          g_assert_nonnull (error);
        g_error_free (error);
        s.data[i] ^= 1 << bit;
      }
  sample_clear (&s);
}

/* Every prefix fails cleanly, with and without a fresh checksum. */
static void
test_reject_truncated (void)
{
  Sample s;

  sample_init (&s);
  for (gsize len = 0; len < s.size; len++)
    {
      guint8      *copy = g_memdup2 (s.data, MAX (len, 1));
      GError      *error = NULL;
      RestoreFile *file;

      file = restore_file_load_from_data (copy, len, &error);
      g_assert_null (file);
      g_assert_error (error, RESTORE_MODEL_ERROR, error->code);
      g_clear_error (&error);
      if (len >= 72)
        {
          writer_fix_checksum (copy, len);
          file = restore_file_load_from_data (copy, len, &error);
          g_assert_null (file);
          g_assert_error (error, RESTORE_MODEL_ERROR,
                          RESTORE_MODEL_ERROR_FORMAT);
          g_clear_error (&error);
        }
      g_free (copy);
    }
  sample_clear (&s);
}

/* Corrupts one header field, recomputes the checksum, expects @text. */
typedef struct
{
  const char *path;
  gsize       offset;
  int         width;     /* 4 or 8 */
  guint64     value;
  const char *text;
} HeaderCase;

static const HeaderCase header_cases[] =
{
  { "/core/model/reject/alignment-not-power-of-two", 8, 4, 24, "power of two" },
  { "/core/model/reject/alignment-too-small", 8, 4, 4, "power of two" },
  { "/core/model/reject/alignment-too-large", 8, 4, 8192, "power of two" },
  { "/core/model/reject/too-many-kv", 12, 4, RESTORE_MODEL_MAX_KV + 1, "metadata entries" },
  { "/core/model/reject/too-many-tensors", 16, 4, RESTORE_MODEL_MAX_TENSORS + 1, "tensors, the limit" },
  { "/core/model/reject/kv-count-past-table", 12, 4, 5, NULL },
  { "/core/model/reject/tensor-count-past-table", 16, 4, 3, NULL },
  { "/core/model/reject/reserved", 20, 4, 1, "reserved" },
  { "/core/model/reject/data-offset-huge", 24, 8, G_GUINT64_CONSTANT (0xffffffffffffffe0), "does not match" },
  { "/core/model/reject/data-size-huge", 32, 8, G_MAXUINT64, "does not match" },
  { "/core/model/reject/data-size-near-size-max", 32, 8, G_MAXUINT64 - 40, "does not match" },
};

static void
test_reject_header_field (gconstpointer data)
{
  const HeaderCase *c = data;
  Sample            s;

  sample_init (&s);
  if (c->width == 4)
    poke_u32 (s.data + c->offset, (guint32) c->value);
  else
    poke_u64 (s.data + c->offset, c->value);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT, c->text);
  sample_clear (&s);
}

static void
test_reject_length_mismatch (void)
{
  Sample s;

  sample_init (&s);
  poke_u64 (s.data + 32, peek_u64 (s.data + 32) + 32);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT, "does not match");
  sample_clear (&s);
}

static void
test_reject_trailing_bytes (void)
{
  Sample  s;
  guint8 *longer;

  sample_init (&s);
  longer = g_malloc0 (s.size + 8);
  memcpy (longer, s.data, s.size - 32);
  writer_fix_checksum (longer, s.size + 8);
  expect_reject (longer, s.size + 8, RESTORE_MODEL_ERROR_FORMAT,
                 "does not match");
  g_free (longer);
  sample_clear (&s);
}

static void
test_reject_data_offset_before_table (void)
{
  Sample s;
  gsize  new_offset = 64;

  sample_init (&s);
  g_assert_cmpuint (s.layout.table_end, >, new_offset);
  poke_u64 (s.data + 24, new_offset);
  poke_u64 (s.data + 32, s.size - 32 - new_offset);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT,
                 "past the end of the table");
  sample_clear (&s);
}

static void
test_reject_data_offset_misaligned (void)
{
  Sample s;
  gsize  new_offset;

  sample_init (&s);
  new_offset = s.layout.data_offset + 8;
  poke_u64 (s.data + 24, new_offset);
  poke_u64 (s.data + 32, s.size - 32 - new_offset);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT,
                 "not a multiple of the alignment");
  sample_clear (&s);
}

static void
test_reject_padding (void)
{
  Sample s;

  sample_init (&s);
  g_assert_cmpuint (s.layout.table_end, <, s.layout.data_offset);
  s.data[s.layout.data_offset - 1] = 0x5a;
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT, "padding");
  sample_clear (&s);
}

/* --- metadata entries --------------------------------------------------
 * Each entry: u16 key_len, 5-byte key, u8 type at +7, value at +8. */

typedef enum { KV_A_U32, KV_B_F32, KV_C_STR, KV_D_ARR } SampleKv;

typedef struct
{
  const char *path;
  int         entry;
  gsize       offset;    /* within the entry */
  int         width;     /* 1, 2 or 4 bytes */
  guint32     value;
  const char *text;
} FieldCase;

static const FieldCase kv_cases[] =
{
  { "/core/model/reject/key-len-zero", KV_A_U32, 0, 2, 0, "has length 0" },
  { "/core/model/reject/key-len-too-long", KV_A_U32, 0, 2, 256, "has length 256" },
  { "/core/model/reject/key-len-past-table", KV_D_ARR, 0, 2, 255, "runs past" },
  { "/core/model/reject/key-charset", KV_B_F32, 2, 1, 'B', "outside [a-z0-9_.]" },
  { "/core/model/reject/key-duplicate", KV_B_F32, 6, 1, 'a', "appears twice" },
  { "/core/model/reject/bad-type", KV_A_U32, 7, 1, 9, "unknown value type 9" },
  { "/core/model/reject/bad-type-zero", KV_C_STR, 7, 1, 0, "unknown value type 0" },
  { "/core/model/reject/string-past-end", KV_C_STR, 8, 4, 60000, "runs past the end" },
  { "/core/model/reject/string-too-long", KV_C_STR, 8, 4, 65537, "over the limit" },
  { "/core/model/reject/string-huge", KV_C_STR, 8, 4, G_MAXUINT32, "over the limit" },
  { "/core/model/reject/string-utf8", KV_C_STR, 13, 1, 0xff, "UTF-8" },
  { "/core/model/reject/string-nul", KV_C_STR, 14, 1, 0, "NUL" },
  { "/core/model/reject/array-count-too-big", KV_D_ARR, 8, 4, 65, "over the limit" },
  { "/core/model/reject/array-count-huge", KV_D_ARR, 8, 4, G_MAXUINT32, "over the limit" },
  { "/core/model/reject/array-past-end", KV_D_ARR, 8, 4, 64, "runs past" },
};

static void
poke (guint8  *p,
      int      width,
      guint32  value)
{
  if (width == 1)
    *p = (guint8) value;
  else if (width == 2)
    poke_u16 (p, (guint16) value);
  else
    poke_u32 (p, value);
}

static void
test_reject_kv_field (gconstpointer data)
{
  const FieldCase *c = data;
  Sample           s;

  sample_init (&s);
  poke (s.data + s.kv[c->entry] + c->offset, c->width, c->value);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT, c->text);
  sample_clear (&s);
}

/* --- tensor entries ----------------------------------------------------
 * Each entry: u16 name_len, 5-byte name, u32 n_dims at +7, dims at +11,
 * then u32 dtype and u64 offset.  t.one has 2 dims, t.two has 4. */

static const FieldCase tensor_cases[] =
{
  { "/core/model/reject/name-len-zero", 0, 0, 2, 0, "has length 0" },
  { "/core/model/reject/name-charset", 1, 3, 1, '/', "outside [a-z0-9_.]" },
  { "/core/model/reject/name-duplicate", 1, 3, 4, 0x656e6f2e /* ".one" */, "appears twice" },
  { "/core/model/reject/n-dims-zero", 0, 7, 4, 0, "has 0 dimensions" },
  { "/core/model/reject/n-dims-5", 1, 7, 4, 5, "has 5 dimensions" },
  { "/core/model/reject/n-dims-huge", 1, 7, 4, G_MAXUINT32, "dimensions, expected" },
  { "/core/model/reject/dims-zero", 0, 11, 4, 0, "dimension 0 is 0" },
  { "/core/model/reject/dims-too-big", 1, 23, 4, 65537, "dimension 3 is 65537" },
  { "/core/model/reject/dtype", 0, 19, 4, 1, "data type 1" },
  { "/core/model/reject/offset-misaligned", 1, 31, 4, 36, "not a multiple of the alignment" },
  { "/core/model/reject/offset-past-end", 1, 31, 4, 4096, "outside the data block" },
  { "/core/model/reject/overlap", 1, 31, 4, 0, "overlap" },
};

static void
test_reject_tensor_field (gconstpointer data)
{
  const FieldCase *c = data;
  Sample           s;

  sample_init (&s);
  poke (s.data + s.tensor[c->entry] + c->offset, c->width, c->value);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT, c->text);
  sample_clear (&s);
}

static void
test_reject_offset_huge (void)
{
  Sample s;

  sample_init (&s);
  /* t.two's u64 offset: a multiple of the alignment near 2^64 */
  poke_u64 (s.data + s.tensor[1] + 31, G_GUINT64_CONSTANT (0xffffffffffffffe0));
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT,
                 "outside the data block");
  sample_clear (&s);
}

static void
test_reject_dims_overflow (void)
{
  Sample s;

  sample_init (&s);
  /* 65536^4 = 2^64 elements: the element count overflows */
  for (int d = 0; d < 4; d++)
    poke_u32 (s.data + s.tensor[1] + 11 + 4 * d, 65536);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT, "overflows");

  /* 2^48 elements: the byte count fits, the data block does not */
  poke_u32 (s.data + s.tensor[1] + 23, 1);
  writer_fix_checksum (s.data, s.size);
  expect_reject (s.data, s.size, RESTORE_MODEL_ERROR_FORMAT,
                 "outside the data block");
  sample_clear (&s);
}

/* --- the U-Net's metadata and tensors ---------------------------------- */

static RestoreModel *
load_spec (const UnetSpec  *spec,
           GError         **error)
{
  gsize         size;
  guint8       *data = unet_write (spec, &size);
  RestoreModel *model = restore_model_load_from_data (data, size, error);

  g_free (data);
  return model;
}

static void
expect_model_reject (const UnetSpec *spec,
                     int             code,
                     const char     *text)
{
  GError       *error = NULL;
  RestoreModel *model = load_spec (spec, &error);

  g_assert_null (model);
  g_assert_error (error, RESTORE_MODEL_ERROR, code);
  g_test_message ("rejected: %s", error->message);
  if (text && ! strstr (error->message, text))
    g_error ("message '%s' does not contain '%s'", error->message, text);
  g_error_free (error);
}

static void
test_unet_valid (void)
{
  UnetSpec      spec = unet_spec_small ();
  GError       *error = NULL;
  RestoreModel *model = load_spec (&spec, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (restore_model_get_name (model), ==, "test-unet");
  g_assert_cmpstr (restore_model_get_description (model), ==,
                   "A random test network");
  g_assert_cmpstr (restore_model_get_license (model), ==, "CC0-1.0");
  g_assert_cmpint (restore_model_get_depth (model), ==, 2);
  g_assert_cmpint (restore_model_get_halo (model), ==, 40);
  g_assert_cmpfloat (restore_model_get_max_radius (model), ==, 6.5);
  g_assert_cmpfloat (restore_model_get_norm_scale (model), ==, 2.0f);
  g_assert_cmpfloat (restore_model_get_norm_offset (model), ==, -1.0f);
  /* channels 4, 6, 8, two mid convs; multiply-adds on 8x8 */
  {
    double px0 = 64, px1 = 16, px2 = 4;
    double expect = px0 * 4 * 4 * 9 + px0 * 4 * 4 * 9 +
                    px1 * 6 * 4 * 9 + px1 * 6 * 6 * 9 +
                    px2 * 8 * 6 * 9 + px2 * 8 * 8 * 9 +
                    2 * px2 * 8 * 8 * 9 +
                    px1 * 6 * 8 * 9 + px1 * 6 * 12 * 9 +
                    px0 * 4 * 6 * 9 + px0 * 4 * 8 * 9 +
                    px0 * 3 * 4;
    g_assert_cmpfloat (restore_model_get_flops (model, 8, 8), ==, expect);
  }
  restore_model_free (model);
}

static void
test_unet_reject_missing_key (gconstpointer data)
{
  UnetSpec spec = unet_spec_small ();

  spec.skip_key = data;
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_METADATA, data);
}

/* Replacement metadata: skip the key, then write a bad value for it. */
typedef struct
{
  const char *path;
  const char *key;
  void      (*write) (Writer *w);
  const char *text;
} MetaCase;

static void w_arch_vector (Writer *w) { writer_add_string (w, "general.architecture", "test-vector"); }
static void w_arch_other (Writer *w)  { writer_add_string (w, "general.architecture", "resnet"); }
static void w_name_empty (Writer *w)  { writer_add_string (w, "general.name", ""); }
static void w_in_5 (Writer *w)        { writer_add_u32 (w, "unet.in_channels", 5); }
static void w_in_f32 (Writer *w)      { writer_add_f32 (w, "unet.in_channels", 4.0f); }
static void w_out_1 (Writer *w)       { writer_add_u32 (w, "unet.out_channels", 1); }
static void w_ch_one (Writer *w)      { guint32 c[1] = { 8 }; writer_add_u32_array (w, "unet.channels", c, 1); }
static void w_ch_nine (Writer *w)     { guint32 c[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 }; writer_add_u32_array (w, "unet.channels", c, 9); }
static void w_ch_zero (Writer *w)     { guint32 c[3] = { 4, 0, 8 }; writer_add_u32_array (w, "unet.channels", c, 3); }
static void w_ch_big (Writer *w)      { guint32 c[3] = { 4, 1025, 8 }; writer_add_u32_array (w, "unet.channels", c, 3); }
static void w_ch_u32 (Writer *w)      { writer_add_u32 (w, "unet.channels", 8); }
static void w_dil_nine (Writer *w)    { guint32 c[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 }; writer_add_u32_array (w, "unet.dilations", c, 9); }
static void w_dil_zero (Writer *w)    { guint32 c[2] = { 2, 0 }; writer_add_u32_array (w, "unet.dilations", c, 2); }
static void w_gated_2 (Writer *w)     { writer_add_u32 (w, "unet.gated", 2); }
static void w_residual_7 (Writer *w)  { writer_add_u32 (w, "unet.residual", 7); }
static void w_act_tanh (Writer *w)    { writer_add_string (w, "unet.activation", "tanh"); }
static void w_act_none (Writer *w)    { writer_add_string (w, "unet.activation", "none"); }
static void w_rf_big (Writer *w)      { writer_add_u32 (w, "unet.receptive_field", 4097); }
static void w_scale_zero (Writer *w)  { writer_add_f32 (w, "norm.scale", 0.0f); }
static void w_scale_nan (Writer *w)   { writer_add_f32 (w, "norm.scale", NAN); }
static void w_scale_inf (Writer *w)   { writer_add_f32 (w, "norm.scale", INFINITY); }
static void w_offset_nan (Writer *w)  { writer_add_f32 (w, "norm.offset", NAN); }
static void w_radius_neg (Writer *w)  { writer_add_f32 (w, "restore.max_radius", -1.0f); }
static void w_radius_u32 (Writer *w)  { writer_add_u32 (w, "restore.max_radius", 3); }
static void w_fradius_neg (Writer *w) { writer_add_f32 (w, "restore.flips_radius", -2.0f); }
static void w_fradius_u32 (Writer *w) { writer_add_u32 (w, "restore.flips_radius", 4); }
static void w_flips_3 (Writer *w)     { writer_add_u32 (w, "restore.flips", 3); }
static void w_flips_0 (Writer *w)     { writer_add_u32 (w, "restore.flips", 0); }
static void w_flips_8 (Writer *w)     { writer_add_u32 (w, "restore.flips", 8); }
static void w_flips_f32 (Writer *w)   { writer_add_f32 (w, "restore.flips", 4.0f); }
static void w_sweeps_alone (Writer *w) { writer_add_u32 (w, "unet.prefill_sweeps", 16); }
static void w_sweeps_65 (Writer *w)
{
  writer_add_string (w, "unet.prefill", "harmonic");
  writer_add_u32 (w, "unet.prefill_sweeps", 65);
}
static void w_sweeps_0 (Writer *w)
{
  writer_add_string (w, "unet.prefill", "harmonic");
  writer_add_u32 (w, "unet.prefill_sweeps", 0);
}
static void w_sweeps_pp (Writer *w)
{
  writer_add_string (w, "unet.prefill", "pushpull");
  writer_add_u32 (w, "unet.prefill_sweeps", 8);
}
static void w_prefill_x (Writer *w)   { writer_add_string (w, "unet.prefill", "median"); }
static void w_prefill_u32 (Writer *w) { writer_add_u32 (w, "unet.prefill", 1); }

static const MetaCase meta_cases[] =
{
  { "/core/model/unet/reject/architecture-test-vector", "general.architecture", w_arch_vector, "test-vector" },
  { "/core/model/unet/reject/architecture-other", "general.architecture", w_arch_other, "'resnet'" },
  { "/core/model/unet/reject/name-empty", "general.name", w_name_empty, "general.name" },
  { "/core/model/unet/reject/in-channels", "unet.in_channels", w_in_5, "is 5, expected 4..4" },
  { "/core/model/unet/reject/in-channels-type", "unet.in_channels", w_in_f32, "another type" },
  { "/core/model/unet/reject/out-channels", "unet.out_channels", w_out_1, "is 1, expected 3..3" },
  { "/core/model/unet/reject/channels-one", "unet.channels", w_ch_one, "has 1 entries" },
  { "/core/model/unet/reject/channels-nine", "unet.channels", w_ch_nine, "has 9 entries" },
  { "/core/model/unet/reject/channels-zero", "unet.channels", w_ch_zero, "entry 1 is 0" },
  { "/core/model/unet/reject/channels-too-big", "unet.channels", w_ch_big, "entry 1 is 1025" },
  { "/core/model/unet/reject/channels-type", "unet.channels", w_ch_u32, "another type" },
  { "/core/model/unet/reject/dilations-nine", "unet.dilations", w_dil_nine, "has 9 entries" },
  { "/core/model/unet/reject/dilations-zero", "unet.dilations", w_dil_zero, "entry 1 is 0" },
  { "/core/model/unet/reject/gated", "unet.gated", w_gated_2, "'unet.gated' is 2" },
  { "/core/model/unet/reject/residual", "unet.residual", w_residual_7, "'unet.residual' is 7" },
  { "/core/model/unet/reject/activation", "unet.activation", w_act_tanh, "'tanh'" },
  { "/core/model/unet/reject/activation-none", "unet.activation", w_act_none, "'none'" },
  { "/core/model/unet/reject/receptive-field", "unet.receptive_field", w_rf_big, "is 4097" },
  { "/core/model/unet/reject/scale-zero", "norm.scale", w_scale_zero, "'norm.scale' is 0" },
  { "/core/model/unet/reject/scale-nan", "norm.scale", w_scale_nan, "finite" },
  { "/core/model/unet/reject/scale-inf", "norm.scale", w_scale_inf, "finite" },
  { "/core/model/unet/reject/offset-nan", "norm.offset", w_offset_nan, "finite" },
  { "/core/model/unet/reject/max-radius-negative", "restore.max_radius", w_radius_neg, "max_radius" },
  { "/core/model/unet/reject/max-radius-type", "restore.max_radius", w_radius_u32, "must be f32" },
  { "/core/model/unet/reject/flips-radius-negative", "restore.flips_radius", w_fradius_neg, "flips_radius' must be a finite" },
  { "/core/model/unet/reject/flips-radius-type", "restore.flips_radius", w_fradius_u32, "flips_radius' must be f32" },
  { "/core/model/unet/reject/flips-3", "restore.flips", w_flips_3, "is 3, expected 1, 2 or 4" },
  { "/core/model/unet/reject/flips-0", "restore.flips", w_flips_0, "is 0, expected 1..4" },
  { "/core/model/unet/reject/flips-8", "restore.flips", w_flips_8, "is 8, expected 1..4" },
  { "/core/model/unet/reject/flips-type", "restore.flips", w_flips_f32, "another type" },
  { "/core/model/unet/reject/sweeps-without-prefill", "unet.prefill", w_sweeps_alone, "needs unet.prefill 'harmonic'" },
  { "/core/model/unet/reject/sweeps-pushpull", "unet.prefill", w_sweeps_pp, "needs unet.prefill 'harmonic'" },
  { "/core/model/unet/reject/sweeps-65", "unet.prefill", w_sweeps_65, "is 65, expected 1..64" },
  { "/core/model/unet/reject/sweeps-0", "unet.prefill", w_sweeps_0, "is 0, expected 1..64" },
  { "/core/model/unet/reject/prefill-unknown", "unet.prefill", w_prefill_x, "'median'" },
  { "/core/model/unet/reject/prefill-type", "unet.prefill", w_prefill_u32, "'unet.prefill' (string)" },
};

static void
test_unet_reject_metadata (gconstpointer data)
{
  const MetaCase *c = data;
  UnetSpec        spec = unet_spec_small ();

  spec.skip_key = c->key;
  spec.extra_kv = c->write;
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_METADATA, c->text);
}

/* --- detectors (restore.task "detect") ---------------------------------- */

static void w_task_segment (Writer *w) { writer_add_string (w, "restore.task", "segment"); }
static void w_task_u32 (Writer *w)     { writer_add_u32 (w, "restore.task", 1); }
static void w_task_inpaint (Writer *w) { writer_add_string (w, "restore.task", "inpaint"); }
static void w_output_softmax (Writer *w) { writer_add_string (w, "unet.output", "softmax"); }
static void w_output_u32 (Writer *w)   { writer_add_u32 (w, "unet.output", 1); }
static void w_output_sigmoid (Writer *w) { writer_add_string (w, "unet.output", "sigmoid"); }
static void w_in_4 (Writer *w)         { writer_add_u32 (w, "unet.in_channels", 4); }
static void w_out_3 (Writer *w)        { writer_add_u32 (w, "unet.out_channels", 3); }
static void w_residual_1 (Writer *w)   { writer_add_u32 (w, "unet.residual", 1); }
static void w_prefill_pp (Writer *w)   { writer_add_string (w, "unet.prefill", "pushpull"); }
static void w_prefill_h (Writer *w)    { writer_add_string (w, "unet.prefill", "harmonic"); }

typedef struct
{
  const char *path;
  gboolean    detect;     /* start from a detector spec */
  const char *key;        /* left out, then written by @write (may be NULL) */
  void      (*write) (Writer *w);
  const char *text;
} TaskCase;

static const TaskCase task_cases[] =
{
  { "/core/model/detect/reject/task-unknown", TRUE, "restore.task", w_task_segment, "'segment', expected 'inpaint' or 'detect'" },
  { "/core/model/detect/reject/task-type", TRUE, "restore.task", w_task_u32, "'restore.task' (string)" },
  { "/core/model/detect/reject/output-unknown", TRUE, "unet.output", w_output_softmax, "'softmax', expected 'none' or 'sigmoid'" },
  { "/core/model/detect/reject/output-type", TRUE, "unet.output", w_output_u32, "'unet.output' (string)" },
  { "/core/model/detect/reject/output-missing", TRUE, "unet.output", NULL, "a detect model needs 'sigmoid'" },
  { "/core/model/detect/reject/in-channels", TRUE, "unet.in_channels", w_in_4, "detect model: metadata 'unet.in_channels' is 4, expected 3..3" },
  { "/core/model/detect/reject/out-channels", TRUE, "unet.out_channels", w_out_3, "detect model: metadata 'unet.out_channels' is 3, expected 1..1" },
  { "/core/model/detect/reject/residual", TRUE, "unet.residual", w_residual_1, "'unet.residual' must be 0" },
  { "/core/model/detect/reject/prefill", TRUE, NULL, w_prefill_pp, "'unet.prefill' must be 'none'" },
  { "/core/model/detect/reject/prefill-harmonic", TRUE, NULL, w_prefill_h, "'unet.prefill' must be 'none'" },
  /* an inpainting model written as before but with the new keys */
  { "/core/model/detect/reject/inpaint-sigmoid", FALSE, NULL, w_output_sigmoid, "an inpaint model needs 'none'" },
  /* the detector's tensors (3 in, 1 out) under the default task */
  { "/core/model/detect/reject/task-inpaint", TRUE, "restore.task", w_task_inpaint, "'unet.in_channels' is 3, expected 4..4" },
};

static void
test_detect_reject (gconstpointer data)
{
  const TaskCase *c = data;
  UnetSpec        spec = unet_spec_small ();

  spec.detect = c->detect;
  spec.skip_key = c->key;
  spec.extra_kv = c->write;
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_METADATA, c->text);
}

static void
test_detect_valid (void)
{
  UnetSpec      spec = unet_spec_small ();
  GError       *error = NULL;
  RestoreModel *model;
  float         in[3 * 16 * 16], out[16 * 16];
  int           below = 0, above = 0;

  spec.detect = TRUE;
  model = load_spec (&spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (restore_model_get_task (model), ==, RESTORE_MODEL_TASK_DETECT);
  g_assert_cmpint (restore_model_get_in_channels (model), ==, 3);
  g_assert_cmpint (restore_model_get_out_channels (model), ==, 1);
  for (gsize i = 0; i < G_N_ELEMENTS (in); i++)
    in[i] = (float) ((i * 7919) % 101) / 50.0f - 1.0f;
  {
    RestoreContext *ctx = restore_context_new (1);

    g_assert_true (restore_model_forward (model, ctx, in, out, 16, 16, &error));
    restore_context_free (ctx);
  }
  g_assert_no_error (error);
  /* a sigmoid head: probabilities strictly inside (0, 1) */
  for (gsize i = 0; i < G_N_ELEMENTS (out); i++)
    {
      g_assert_cmpfloat (out[i], >, 0.0f);
      g_assert_cmpfloat (out[i], <, 1.0f);
      below += out[i] < 0.5f;
      above += out[i] >= 0.5f;
    }
  g_test_message ("%d below 0.5, %d above", below, above);
  restore_model_free (model);

  /* an inpainting model without the new keys stays an inpainting model */
  spec = unet_spec_small ();
  model = load_spec (&spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (restore_model_get_task (model), ==, RESTORE_MODEL_TASK_INPAINT);
  g_assert_cmpint (restore_model_get_in_channels (model), ==, 4);
  g_assert_cmpint (restore_model_get_out_channels (model), ==, 3);
  restore_model_free (model);
}

static void
test_unet_optional_max_radius (void)
{
  UnetSpec      spec = unet_spec_small ();
  GError       *error = NULL;
  RestoreModel *model;

  spec.skip_key = "restore.max_radius";
  model = load_spec (&spec, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (restore_model_get_max_radius (model), ==, 0.0);
  restore_model_free (model);
}

static void w_flips_4 (Writer *w) { writer_add_u32 (w, "restore.flips", 4); }

static void
test_unet_flips (void)
{
  UnetSpec      spec = unet_spec_small ();
  GError       *error = NULL;
  RestoreModel *model = load_spec (&spec, &error);

  /* not set: 1 */
  g_assert_no_error (error);
  g_assert_cmpint (restore_model_get_flips (model), ==, 1);
  g_assert_cmpfloat (restore_model_get_flips_radius (model), ==, 0.0);
  restore_model_free (model);
  spec.extra_kv = w_flips_4;
  model = load_spec (&spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (restore_model_get_flips (model), ==, 4);
  restore_model_free (model);
}

static void
test_unet_reject_wrong_shape (void)
{
  UnetSpec spec = unet_spec_small ();

  spec.bad_shape = "enc1.conv1.weight";
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_TENSOR,
                       "tensor 'enc1.conv1.weight' has shape [7, 4, 3, 3], "
                       "expected [6, 4, 3, 3]");
  spec.bad_shape = "dec1.conv2.bias";
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_TENSOR,
                       "tensor 'dec1.conv2.bias' has shape [5], expected [4]");
}

static void w_gated_1 (Writer *w) { writer_add_u32 (w, "unet.gated", 1); }

static void
test_unet_reject_gated_mismatch (void)
{
  UnetSpec spec = unet_spec_small ();

  /* plain tensors, but the metadata says gated */
  spec.skip_key = "unet.gated";
  spec.extra_kv = w_gated_1;
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_TENSOR,
                       "tensor 'enc0.conv1.weight' has shape [4, 4, 3, 3], "
                       "expected [8, 4, 3, 3]");
}

static void
test_unet_reject_missing_tensor (void)
{
  UnetSpec spec = unet_spec_small ();

  spec.skip_tensor = "mid1.conv.bias";
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_TENSOR,
                       "tensor 'mid1.conv.bias' [8] is missing");
  spec.skip_tensor = "out.conv.weight";
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_TENSOR,
                       "tensor 'out.conv.weight' [3, 4, 1, 1] is missing");
}

/* A NaN or an infinity among the weights would fill with garbage. */
static void
test_unet_reject_non_finite (void)
{
  UnetSpec spec = unet_spec_small ();

  spec.bad_value = "enc1.conv1.weight";
  spec.bad_number = NAN;
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_TENSOR,
                       "tensor 'enc1.conv1.weight' holds a value that is not a finite number");
  spec.bad_value = "out.conv.bias";
  spec.bad_number = -INFINITY;
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_TENSOR,
                       "tensor 'out.conv.bias' holds a value that is not a finite number");
}

static void
test_unet_reject_extra_tensor (void)
{
  UnetSpec spec = unet_spec_small ();

  spec.extra_tensor = TRUE;
  expect_model_reject (&spec, RESTORE_MODEL_ERROR_TENSOR,
                       "unexpected tensor 'extra.weight'");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/model/valid/read-back", test_valid_read_back);
  g_test_add_func ("/core/model/valid/empty", test_valid_empty);
  g_test_add_func ("/core/model/valid/from-path", test_valid_from_path);

  g_test_add_func ("/core/model/valid/fuzz-seeds", test_valid_fuzz_seeds);
  g_test_add_func ("/core/model/reject/too-large", test_reject_too_large);
  g_test_add_func ("/core/model/reject/bad-magic", test_reject_bad_magic);
  g_test_add_func ("/core/model/reject/too-short", test_reject_too_short);
  g_test_add_func ("/core/model/reject/version-too-new", test_reject_version_new);
  g_test_add_func ("/core/model/reject/version-too-old", test_reject_version_old);
  g_test_add_func ("/core/model/reject/checksum", test_reject_checksum);
  g_test_add_func ("/core/model/reject/bit-flip-anywhere", test_reject_bit_flip_anywhere);
  g_test_add_func ("/core/model/reject/truncated", test_reject_truncated);
  for (gsize i = 0; i < G_N_ELEMENTS (header_cases); i++)
    g_test_add_data_func (header_cases[i].path, &header_cases[i],
                          test_reject_header_field);
  g_test_add_func ("/core/model/reject/length-mismatch", test_reject_length_mismatch);
  g_test_add_func ("/core/model/reject/trailing-bytes", test_reject_trailing_bytes);
  g_test_add_func ("/core/model/reject/data-offset-before-table",
                   test_reject_data_offset_before_table);
  g_test_add_func ("/core/model/reject/data-offset-misaligned",
                   test_reject_data_offset_misaligned);
  g_test_add_func ("/core/model/reject/padding", test_reject_padding);
  for (gsize i = 0; i < G_N_ELEMENTS (kv_cases); i++)
    g_test_add_data_func (kv_cases[i].path, &kv_cases[i], test_reject_kv_field);
  for (gsize i = 0; i < G_N_ELEMENTS (tensor_cases); i++)
    g_test_add_data_func (tensor_cases[i].path, &tensor_cases[i],
                          test_reject_tensor_field);
  g_test_add_func ("/core/model/reject/offset-huge", test_reject_offset_huge);
  g_test_add_func ("/core/model/reject/dims-overflow", test_reject_dims_overflow);

  g_test_add_func ("/core/model/unet/valid", test_unet_valid);
  g_test_add_func ("/core/model/unet/optional-max-radius",
                   test_unet_optional_max_radius);
  g_test_add_func ("/core/model/unet/flips", test_unet_flips);
  {
    static const char *const required[] =
    {
      "general.architecture", "general.name", "general.description",
      "general.license", "general.training", "unet.in_channels",
      "unet.out_channels", "unet.channels", "unet.dilations", "unet.gated",
      "unet.activation", "unet.residual", "unet.receptive_field",
      "norm.scale", "norm.offset",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (required); i++)
      {
        char *path = g_strconcat ("/core/model/unet/reject/missing/",
                                  required[i], NULL);

        g_test_add_data_func (path, required[i], test_unet_reject_missing_key);
        g_free (path);
      }
  }
  for (gsize i = 0; i < G_N_ELEMENTS (meta_cases); i++)
    g_test_add_data_func (meta_cases[i].path, &meta_cases[i],
                          test_unet_reject_metadata);
  g_test_add_func ("/core/model/unet/reject/wrong-shape", test_unet_reject_wrong_shape);
  g_test_add_func ("/core/model/unet/reject/gated-mismatch", test_unet_reject_gated_mismatch);
  g_test_add_func ("/core/model/unet/reject/missing-tensor", test_unet_reject_missing_tensor);
  g_test_add_func ("/core/model/unet/reject/extra-tensor", test_unet_reject_extra_tensor);
  g_test_add_func ("/core/model/unet/reject/non-finite", test_unet_reject_non_finite);
  g_test_add_func ("/core/model/detect/valid", test_detect_valid);
  for (gsize i = 0; i < G_N_ELEMENTS (task_cases); i++)
    g_test_add_data_func (task_cases[i].path, &task_cases[i], test_detect_reject);

  return g_test_run ();
}
