/* Writes small GRST model files for the pipeline tests: a depth-1 U-Net
 * (channels [4, 8], ReLU, no dilations) whose weights are zero and whose
 * output bias makes every restored pixel equal @value, so a test can tell
 * which model restored which pixel.  The byte layout follows
 * core/restore-model.h. */
#pragma once

#include <string.h>
#include <glib.h>

typedef struct
{
  GByteArray *kv;
  guint32     n_kv;
} ToyKv;

static void
toy_put_u16 (GByteArray *b, guint16 v)
{
  guint8 s[2] = { v & 0xff, v >> 8 };

  g_byte_array_append (b, s, 2);
}

static void
toy_put_u32 (GByteArray *b, guint32 v)
{
  guint8 s[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

  g_byte_array_append (b, s, 4);
}

static void
toy_put_u64 (GByteArray *b, guint64 v)
{
  toy_put_u32 (b, (guint32) v);
  toy_put_u32 (b, (guint32) (v >> 32));
}

static void
toy_put_f32 (GByteArray *b, float f)
{
  guint32 v;

  memcpy (&v, &f, 4);
  toy_put_u32 (b, v);
}

static void
toy_key (ToyKv *kv, const char *key, guint8 type)
{
  toy_put_u16 (kv->kv, (guint16) strlen (key));
  g_byte_array_append (kv->kv, (const guint8 *) key, strlen (key));
  g_byte_array_append (kv->kv, &type, 1);
  kv->n_kv++;
}

static void
toy_kv_string (ToyKv *kv, const char *key, const char *value)
{
  toy_key (kv, key, 3);
  toy_put_u32 (kv->kv, (guint32) strlen (value));
  g_byte_array_append (kv->kv, (const guint8 *) value, strlen (value));
}

static void
toy_kv_u32 (ToyKv *kv, const char *key, guint32 value)
{
  toy_key (kv, key, 1);
  toy_put_u32 (kv->kv, value);
}

static void
toy_kv_f32 (ToyKv *kv, const char *key, float value)
{
  toy_key (kv, key, 2);
  toy_put_f32 (kv->kv, value);
}

static void
toy_kv_u32_array (ToyKv *kv, const char *key, const guint32 *v, guint32 n)
{
  guint32 i;

  toy_key (kv, key, 4);
  toy_put_u32 (kv->kv, n);
  for (i = 0; i < n; i++)
    toy_put_u32 (kv->kv, v[i]);
}

/* Model bytes; @max_radius <= 0 leaves restore.max_radius unset.
 * Free with g_free(). */
static guint8 *
toy_model_bytes (const char *name,
                 double      max_radius,
                 float       value,
                 int         halo,
                 gsize      *size)
{
  static const struct { const char *layer; int out, in, k; } layers[] = {
    { "enc0.conv1", 4, 4, 3 }, { "enc0.conv2", 4, 4, 3 },
    { "enc1.conv1", 8, 4, 3 }, { "enc1.conv2", 8, 8, 3 },
    { "dec1.conv1", 4, 8, 3 }, { "dec1.conv2", 4, 8, 3 },
    { "out.conv", 3, 4, 1 },
  };
  const guint32 channels[] = { 4, 8 };
  const float   scale = 2.0f, offset = -1.0f;
  const guint32 align = 32;
  ToyKv         kv = { g_byte_array_new (), 0 };
  GByteArray   *table = g_byte_array_new ();
  GByteArray   *data = g_byte_array_new ();
  GByteArray   *file = g_byte_array_new ();
  GChecksum    *sha = g_checksum_new (G_CHECKSUM_SHA256);
  guint8        digest[32];
  gsize         digest_len = 32;
  guint32       n_tensors = 0;
  guint64       data_offset;
  guint         i, j;

  toy_kv_string (&kv, "general.architecture", "unet");
  toy_kv_string (&kv, "general.name", name);
  toy_kv_string (&kv, "general.description", "toy model for the pipeline tests");
  toy_kv_string (&kv, "general.license", "GPL-3.0-or-later");
  toy_kv_string (&kv, "general.training", "none: constant output");
  toy_kv_u32 (&kv, "unet.in_channels", 4);
  toy_kv_u32 (&kv, "unet.out_channels", 3);
  toy_kv_u32_array (&kv, "unet.channels", channels, 2);
  toy_kv_u32_array (&kv, "unet.dilations", NULL, 0);
  toy_kv_u32 (&kv, "unet.gated", 0);
  toy_kv_string (&kv, "unet.activation", "relu");
  toy_kv_u32 (&kv, "unet.residual", 0);
  toy_kv_u32 (&kv, "unet.receptive_field", (guint32) halo);
  toy_kv_f32 (&kv, "norm.scale", scale);
  toy_kv_f32 (&kv, "norm.offset", offset);
  if (max_radius > 0.0)
    toy_kv_f32 (&kv, "restore.max_radius", (float) max_radius);

  for (i = 0; i < G_N_ELEMENTS (layers); i++)
    {
      int pass;

      for (pass = 0; pass < 2; pass++)
        {
          char   *tname = g_strconcat (layers[i].layer, pass ? ".bias" : ".weight", NULL);
          guint32 n = pass ? (guint32) layers[i].out
                           : (guint32) (layers[i].out * layers[i].in * layers[i].k * layers[i].k);

          toy_put_u16 (table, (guint16) strlen (tname));
          g_byte_array_append (table, (const guint8 *) tname, strlen (tname));
          if (pass)
            {
              toy_put_u32 (table, 1);
              toy_put_u32 (table, (guint32) layers[i].out);
            }
          else
            {
              toy_put_u32 (table, 4);
              toy_put_u32 (table, (guint32) layers[i].out);
              toy_put_u32 (table, (guint32) layers[i].in);
              toy_put_u32 (table, (guint32) layers[i].k);
              toy_put_u32 (table, (guint32) layers[i].k);
            }
          toy_put_u32 (table, 0);
          toy_put_u64 (table, data->len);
          for (j = 0; j < n; j++)
            toy_put_f32 (data, (pass && strcmp (layers[i].layer, "out.conv") == 0)
                                 ? value * scale + offset : 0.0f);
          while (data->len % align)
            g_byte_array_append (data, (const guint8 *) "", 1);
          n_tensors++;
          g_free (tname);
        }
    }

  data_offset = 40 + kv.kv->len + table->len;
  data_offset = (data_offset + align - 1) / align * align;
  g_byte_array_append (file, (const guint8 *) "GRST", 4);
  toy_put_u32 (file, 1);
  toy_put_u32 (file, align);
  toy_put_u32 (file, kv.n_kv);
  toy_put_u32 (file, n_tensors);
  toy_put_u32 (file, 0);
  toy_put_u64 (file, data_offset);
  toy_put_u64 (file, data->len);
  g_byte_array_append (file, kv.kv->data, kv.kv->len);
  g_byte_array_append (file, table->data, table->len);
  while (file->len < data_offset)
    g_byte_array_append (file, (const guint8 *) "", 1);
  g_byte_array_append (file, data->data, data->len);
  g_checksum_update (sha, file->data, file->len);
  g_checksum_get_digest (sha, digest, &digest_len);
  g_byte_array_append (file, digest, 32);

  g_checksum_free (sha);
  g_byte_array_unref (kv.kv);
  g_byte_array_unref (table);
  g_byte_array_unref (data);
  *size = file->len;
  return g_byte_array_free (file, FALSE);
}
