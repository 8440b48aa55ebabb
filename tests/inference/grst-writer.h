/* gimp-restore tests: a small GRST writer, written from the layout in
 * core/restore-file.h and independent of the Python exporter.  It records
 * where each field lies so tests can corrupt one field and recompute the
 * checksum.
 */
#pragma once

#include <math.h>
#include <string.h>
#include <glib.h>

#include "restore-file.h"

#define WRITER_MAX_ENTRIES 256

typedef struct
{
  guint32     alignment;
  guint32     n_kv;
  guint32     n_tensors;
  GByteArray *kv;          /* metadata entries */
  GByteArray *table;       /* tensor entries */
  GByteArray *data;        /* tensor data block */
  gsize       kv_at[WRITER_MAX_ENTRIES];      /* entry start within kv */
  gsize       tensor_at[WRITER_MAX_ENTRIES];  /* entry start within table */
} Writer;

/* Where things ended up in the finished file. */
typedef struct
{
  gsize kv_start;          /* first metadata entry */
  gsize tensor_start;      /* first tensor entry */
  gsize table_end;
  gsize data_offset;
  gsize size;
} WriterLayout;

static inline void
put_u16 (GByteArray *a, guint16 v)
{
  guint8 b[2] = { v & 0xff, v >> 8 };
  g_byte_array_append (a, b, 2);
}

static inline void
put_u32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  g_byte_array_append (a, b, 4);
}

static inline void
put_u64 (GByteArray *a, guint64 v)
{
  put_u32 (a, (guint32) v);
  put_u32 (a, (guint32) (v >> 32));
}

static inline void
poke_u16 (guint8 *p, guint16 v)
{
  p[0] = v & 0xff;
  p[1] = v >> 8;
}

static inline void
poke_u32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (v >> (8 * i)) & 0xff;
}

static inline void
poke_u64 (guint8 *p, guint64 v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (v >> (8 * i)) & 0xff;
}

static inline guint32
peek_u32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) |
         ((guint32) p[3] << 24);
}

static inline guint64
peek_u64 (const guint8 *p)
{
  return (guint64) peek_u32 (p) | ((guint64) peek_u32 (p + 4) << 32);
}

static inline Writer *
writer_new (guint32 alignment)
{
  Writer *w = g_new0 (Writer, 1);

  w->alignment = alignment;
  w->kv = g_byte_array_new ();
  w->table = g_byte_array_new ();
  w->data = g_byte_array_new ();
  return w;
}

static inline void
writer_free (Writer *w)
{
  g_byte_array_unref (w->kv);
  g_byte_array_unref (w->table);
  g_byte_array_unref (w->data);
  g_free (w);
}

static inline void
writer_key (Writer *w, const char *key, guint8 type)
{
  g_assert (w->n_kv < WRITER_MAX_ENTRIES);
  w->kv_at[w->n_kv++] = w->kv->len;
  put_u16 (w->kv, (guint16) strlen (key));
  g_byte_array_append (w->kv, (const guint8 *) key, strlen (key));
  g_byte_array_append (w->kv, &type, 1);
}

static inline void
writer_add_u32 (Writer *w, const char *key, guint32 v)
{
  writer_key (w, key, RESTORE_VALUE_U32);
  put_u32 (w->kv, v);
}

static inline void
writer_add_f32 (Writer *w, const char *key, float v)
{
  guint32 bits;

  memcpy (&bits, &v, 4);
  writer_key (w, key, RESTORE_VALUE_F32);
  put_u32 (w->kv, bits);
}

static inline void
writer_add_string (Writer *w, const char *key, const char *v)
{
  writer_key (w, key, RESTORE_VALUE_STRING);
  put_u32 (w->kv, (guint32) strlen (v));
  g_byte_array_append (w->kv, (const guint8 *) v, strlen (v));
}

static inline void
writer_add_u32_array (Writer *w, const char *key, const guint32 *v, guint32 n)
{
  writer_key (w, key, RESTORE_VALUE_U32_ARRAY);
  put_u32 (w->kv, n);
  for (guint32 i = 0; i < n; i++)
    put_u32 (w->kv, v[i]);
}

/* @data: n_elements floats, or NULL for values i * 0.25 */
static inline void
writer_add_tensor (Writer        *w,
                   const char    *name,
                   int            n_dims,
                   const guint32 *dims,
                   const float   *data)
{
  gsize n = 1;
  static const guint8 zero[4096];

  g_assert (w->n_tensors < WRITER_MAX_ENTRIES);
  while (w->data->len % w->alignment)
    g_byte_array_append (w->data, zero, 1);
  w->tensor_at[w->n_tensors++] = w->table->len;
  put_u16 (w->table, (guint16) strlen (name));
  g_byte_array_append (w->table, (const guint8 *) name, strlen (name));
  put_u32 (w->table, (guint32) n_dims);
  for (int i = 0; i < n_dims; i++)
    {
      put_u32 (w->table, dims[i]);
      n *= dims[i];
    }
  put_u32 (w->table, 0);
  put_u64 (w->table, w->data->len);
  for (gsize i = 0; i < n; i++)
    {
      float   v = data ? data[i] : (float) i * 0.25f;
      guint32 bits;

      memcpy (&bits, &v, 4);
      put_u32 (w->data, bits);
    }
}

/* Writes the SHA-256 of bytes [0, size - 32) into the last 32 bytes. */
static inline void
writer_fix_checksum (guint8 *file, gsize size)
{
  GChecksum *c = g_checksum_new (G_CHECKSUM_SHA256);
  gsize      len = 32;

  g_checksum_update (c, file, (gssize) (size - 32));
  g_checksum_get_digest (c, file + size - 32, &len);
  g_checksum_free (c);
}

/* Returns the finished file (g_free it) and its size; fills @layout. */
static inline guint8 *
writer_finish (Writer       *w,
               gsize        *size,
               WriterLayout *layout)
{
  GByteArray *out = g_byte_array_new ();
  gsize       table_end = 40 + w->kv->len + w->table->len;
  gsize       data_offset = (table_end + w->alignment - 1) / w->alignment * w->alignment;
  static const guint8 zero[32];
  WriterLayout l;

  g_byte_array_append (out, (const guint8 *) RESTORE_MODEL_MAGIC, 4);
  put_u32 (out, 1);
  put_u32 (out, w->alignment);
  put_u32 (out, w->n_kv);
  put_u32 (out, w->n_tensors);
  put_u32 (out, 0);
  put_u64 (out, data_offset);
  put_u64 (out, w->data->len);
  g_byte_array_append (out, w->kv->data, w->kv->len);
  g_byte_array_append (out, w->table->data, w->table->len);
  while (out->len < data_offset)
    g_byte_array_append (out, zero, 1);
  g_byte_array_append (out, w->data->data, w->data->len);
  g_byte_array_append (out, zero, 32);
  writer_fix_checksum (out->data, out->len);

  l.kv_start = 40;
  l.tensor_start = 40 + w->kv->len;
  l.table_end = table_end;
  l.data_offset = data_offset;
  l.size = out->len;
  if (layout)
    *layout = l;
  *size = out->len;
  return g_byte_array_free (out, FALSE);
}

/* --- a U-Net model file ------------------------------------------------ */

typedef struct
{
  int          n_channels;
  guint32      channels[8];
  int          n_dilations;
  guint32      dilations[8];
  gboolean     gated;
  gboolean     residual;
  const char  *activation;
  guint32      seed;
  /* faults for rejection tests */
  const char  *skip_key;      /* leave this metadata key out */
  const char  *skip_tensor;   /* leave this tensor out */
  const char  *bad_shape;     /* give this tensor a wrong first dimension */
  gboolean     extra_tensor;  /* add "extra.weight" */
  const char  *bad_value;     /* put bad_number into this tensor's last value */
  float        bad_number;
  void       (*extra_kv) (Writer *w);  /* writes replacement metadata */
  gboolean     detect;        /* a detector: restore.task "detect", 3 in,
                               * 1 out, unet.output "sigmoid" */
} UnetSpec;

static inline void
unet_add_tensor (Writer         *w,
                 const UnetSpec *spec,
                 GRand          *rand,
                 const char     *layer,
                 const char     *suffix,
                 int             n_dims,
                 guint32        *dims,
                 float           range)
{
  char  *name = g_strconcat (layer, ".", suffix, NULL);
  gsize  n = 1;
  float *data;

  if (spec->skip_tensor && strcmp (spec->skip_tensor, name) == 0)
    {
      g_free (name);
      return;
    }
  if (spec->bad_shape && strcmp (spec->bad_shape, name) == 0)
    dims[0] += 1;
  for (int i = 0; i < n_dims; i++)
    n *= dims[i];
  data = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    data[i] = (float) g_rand_double_range (rand, -range, range);
  if (spec->bad_value && strcmp (spec->bad_value, name) == 0)
    data[n - 1] = spec->bad_number;
  writer_add_tensor (w, name, n_dims, dims, data);
  g_free (data);
  g_free (name);
}

static inline void
unet_add_conv (Writer         *w,
               const UnetSpec *spec,
               GRand          *rand,
               const char     *layer,
               guint32         c_in,
               guint32         c_out,
               guint32         k)
{
  guint32 wd[4] = { c_out, c_in, k, k };
  guint32 bd[1] = { c_out };
  float   range = 1.0f / sqrtf ((float) (c_in * k * k));

  unet_add_tensor (w, spec, rand, layer, "weight", 4, wd, range);
  unet_add_tensor (w, spec, rand, layer, "bias", 1, bd, range);
}

/* Returns a model file for @spec (g_free it). */
static inline guint8 *
unet_write (const UnetSpec *spec,
            gsize          *size)
{
  Writer  *w = writer_new (32);
  GRand   *rand = g_rand_new_with_seed (spec->seed);
  int      d = spec->n_channels - 1, g = spec->gated ? 2 : 1;
  const guint32 *c = spec->channels;
  guint8  *file;
  char     name[32];

#define SKIP(k) (spec->skip_key && strcmp (spec->skip_key, k) == 0)
  if (! SKIP ("general.architecture"))
    writer_add_string (w, "general.architecture", "unet");
  if (! SKIP ("general.name"))
    writer_add_string (w, "general.name", "test-unet");
  if (! SKIP ("general.description"))
    writer_add_string (w, "general.description", "A random test network");
  if (! SKIP ("general.license"))
    writer_add_string (w, "general.license", "CC0-1.0");
  if (! SKIP ("general.training"))
    writer_add_string (w, "general.training", "none: random weights");
  if (! SKIP ("unet.in_channels"))
    writer_add_u32 (w, "unet.in_channels", spec->detect ? 3 : 4);
  if (! SKIP ("unet.out_channels"))
    writer_add_u32 (w, "unet.out_channels", spec->detect ? 1 : 3);
  if (spec->detect && ! SKIP ("restore.task"))
    writer_add_string (w, "restore.task", "detect");
  if (spec->detect && ! SKIP ("unet.output"))
    writer_add_string (w, "unet.output", "sigmoid");
  if (! SKIP ("unet.channels"))
    writer_add_u32_array (w, "unet.channels", spec->channels, spec->n_channels);
  if (! SKIP ("unet.dilations"))
    writer_add_u32_array (w, "unet.dilations", spec->dilations,
                          spec->n_dilations);
  if (! SKIP ("unet.gated"))
    writer_add_u32 (w, "unet.gated", spec->gated);
  if (! SKIP ("unet.activation"))
    writer_add_string (w, "unet.activation", spec->activation);
  if (! SKIP ("unet.residual"))
    writer_add_u32 (w, "unet.residual", spec->detect ? 0 : spec->residual);
  if (! SKIP ("unet.receptive_field"))
    writer_add_u32 (w, "unet.receptive_field", 40);
  if (! SKIP ("norm.scale"))
    writer_add_f32 (w, "norm.scale", 2.0f);
  if (! SKIP ("norm.offset"))
    writer_add_f32 (w, "norm.offset", -1.0f);
  if (! SKIP ("restore.max_radius"))
    writer_add_f32 (w, "restore.max_radius", 6.5f);
#undef SKIP
  if (spec->extra_kv)
    spec->extra_kv (w);

  unet_add_conv (w, spec, rand, "enc0.conv1", spec->detect ? 3 : 4, g * c[0], 3);
  unet_add_conv (w, spec, rand, "enc0.conv2", c[0], g * c[0], 3);
  for (int i = 1; i <= d; i++)
    {
      g_snprintf (name, sizeof name, "enc%d.conv1", i);
      unet_add_conv (w, spec, rand, name, c[i - 1], g * c[i], 3);
      g_snprintf (name, sizeof name, "enc%d.conv2", i);
      unet_add_conv (w, spec, rand, name, c[i], g * c[i], 3);
    }
  for (int k = 0; k < spec->n_dilations; k++)
    {
      g_snprintf (name, sizeof name, "mid%d.conv", k);
      unet_add_conv (w, spec, rand, name, c[d], g * c[d], 3);
    }
  for (int i = d; i >= 1; i--)
    {
      g_snprintf (name, sizeof name, "dec%d.conv1", i);
      unet_add_conv (w, spec, rand, name, c[i], g * c[i - 1], 3);
      g_snprintf (name, sizeof name, "dec%d.conv2", i);
      unet_add_conv (w, spec, rand, name, 2 * c[i - 1], g * c[i - 1], 3);
    }
  unet_add_conv (w, spec, rand, "out.conv", c[0], spec->detect ? 1 : 3, 1);
  if (spec->extra_tensor)
    unet_add_conv (w, spec, rand, "extra", 1, 1, 1);

  file = writer_finish (w, size, NULL);
  g_rand_free (rand);
  writer_free (w);
  return file;
}

/* A small valid spec: depth 2, one dilated conv. */
static inline UnetSpec
unet_spec_small (void)
{
  UnetSpec spec = { 0 };

  spec.n_channels = 3;
  spec.channels[0] = 4;
  spec.channels[1] = 6;
  spec.channels[2] = 8;
  spec.n_dilations = 2;
  spec.dilations[0] = 2;
  spec.dilations[1] = 4;
  spec.activation = "leaky_relu";
  spec.residual = TRUE;
  spec.seed = 7;
  return spec;
}
