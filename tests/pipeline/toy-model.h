/* Writes small GRST model files for the pipeline tests: a depth-1 U-Net
 * (channels [4, 8], ReLU, no dilations) whose weights are zero and whose
 * output bias makes every restored pixel equal @value, so a test can tell
 * which model restored which pixel.  Written with the tests' one GRST
 * writer (tests/inference/grst-writer.h). */
#pragma once

#include <glib.h>

#include "../inference/grst-writer.h"

/* Model bytes; @max_radius <= 0 leaves restore.max_radius unset.
 * Free with g_free(). */
static guint8 *
toy_model_bytes (const char *name,
                 double      max_radius,
                 float       value,
                 int         halo,
                 gsize      *size)
{
  static const struct { const char *layer; guint32 out, in, k; } layers[] = {
    { "enc0.conv1", 4, 4, 3 }, { "enc0.conv2", 4, 4, 3 },
    { "enc1.conv1", 8, 4, 3 }, { "enc1.conv2", 8, 8, 3 },
    { "dec1.conv1", 4, 8, 3 }, { "dec1.conv2", 4, 8, 3 },
    { "out.conv", 3, 4, 1 },
  };
  const guint32 channels[] = { 4, 8 };
  const float   scale = 2.0f, offset = -1.0f;
  Writer       *w = writer_new (32);
  float        *zeros = g_new0 (float, 8 * 8 * 9);
  float         bias[3];
  guint8       *bytes;

  writer_add_string (w, "general.architecture", "unet");
  writer_add_string (w, "general.name", name);
  writer_add_string (w, "general.description", "toy model for the pipeline tests");
  writer_add_string (w, "general.license", "GPL-3.0-or-later");
  writer_add_string (w, "general.training", "none: constant output");
  writer_add_u32 (w, "unet.in_channels", 4);
  writer_add_u32 (w, "unet.out_channels", 3);
  writer_add_u32_array (w, "unet.channels", channels, 2);
  writer_add_u32_array (w, "unet.dilations", NULL, 0);
  writer_add_u32 (w, "unet.gated", 0);
  writer_add_string (w, "unet.activation", "relu");
  writer_add_u32 (w, "unet.residual", 0);
  writer_add_u32 (w, "unet.receptive_field", (guint32) halo);
  writer_add_f32 (w, "norm.scale", scale);
  writer_add_f32 (w, "norm.offset", offset);
  if (max_radius > 0.0)
    writer_add_f32 (w, "restore.max_radius", (float) max_radius);

  for (int c = 0; c < 3; c++)
    bias[c] = value * scale + offset;
  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    {
      guint32 wdims[4] = { layers[i].out, layers[i].in, layers[i].k, layers[i].k };
      guint32 bdims[1] = { layers[i].out };
      char   *wname = g_strconcat (layers[i].layer, ".weight", NULL);
      char   *bname = g_strconcat (layers[i].layer, ".bias", NULL);
      gboolean last = i == G_N_ELEMENTS (layers) - 1;

      writer_add_tensor (w, wname, 4, wdims, zeros);
      writer_add_tensor (w, bname, 1, bdims, last ? bias : zeros);
      g_free (wname);
      g_free (bname);
    }
  bytes = writer_finish (w, size, NULL);
  writer_free (w);
  g_free (zeros);
  return bytes;
}
