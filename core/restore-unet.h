/* gimp-restore: the U-Net and its forward pass.
 *
 * Tensor layout everywhere in core/: float32, NCHW with N = 1, row-major,
 * so element (c, y, x) of a [C, H, W] tensor is data[(c * H + y) * W + x].
 *
 * The network (weights/recipe/model.py builds the same one in PyTorch).
 * D = depth = len(unet.channels) - 1, C[i] = unet.channels[i],
 * G = 2 when unet.gated else 1.  Every "conv" is a 3x3 convolution with
 * zero padding equal to its dilation ("same" size), weight
 * [G * C_out, C_in, 3, 3] and bias [G * C_out], followed by the activation
 * act = unet.activation.  Gated: with a = output channels [0, C_out) and
 * b = [C_out, 2 C_out), the result is act(a) * sigmoid(b).
 *
 *   input x [4, H, W]: channels 0..2 = (pixel * scale + offset) * (1 - m),
 *                      channel 3 = m (the soft mask, 1 = damaged)
 *   (a detector, restore.task "detect": x [3, H, W] = pixel * scale + offset,
 *    no mask channel)
 *   enc0.conv1  C_in 4 (3 for a detector) -> C[0]
 *   enc0.conv2  C[0]        -> C[0]                        = e0
 *   for i = 1..D:
 *     enc{i}.conv1  stride 2, C[i-1] -> C[i]               (H/2^i, W/2^i)
 *     enc{i}.conv2  C[i] -> C[i]                           = e_i
 *   for k = 0..len(dilations)-1:
 *     mid{k}.conv   dilation unet.dilations[k], C[D] -> C[D]
 *   h = output of the above
 *   for i = D..1:
 *     dec{i}.conv1  on nearest-neighbour 2x upsampled h, C[i] -> C[i-1]
 *     dec{i}.conv2  on concat (dec{i}.conv1 output, e_{i-1}) along channels,
 *                   2 C[i-1] -> C[i-1]                     = h
 *   out.conv    1x1, C[0] -> C_out, no activation, weight [C_out, C[0], 1, 1],
 *               bias [C_out]; C_out = unet.out_channels: 3, or 1 for a detector
 *   y = out.conv output (+ x[0..2] when unet.residual)
 *   with unet.output "sigmoid" (detectors): y = 1 / (1 + exp (-y)), the
 *   probability that the pixel is a defect
 * With unet.prefill "pushpull", x[0..2] is first replaced by the push-pull
 * fill of x[0..2] with weights 1 - x[3] (restore_fill_push_pull() with 0
 * sweeps), for the first layer and the residual alike; with "harmonic" by
 * the same fill with unet.prefill_sweeps relaxation sweeps per level
 * (RESTORE_HARMONIC_SWEEPS when the file does not say).
 *   restored pixel = clamp ((y - offset) / scale, 0, 1)
 *
 * H and W of a forward pass must be multiples of 2^D.
 * Tensor names: "<layer>.weight" and "<layer>.bias", e.g. "enc1.conv1.weight".
 */
#pragma once

#include <glib.h>
#include "restore-context.h"
#include "restore-file.h"
#include "restore-types.h"

/* relaxation sweeps per pyramid level of the "harmonic" pre-fill (part of
 * its definition: HARMONIC_SWEEPS in weights/recipe/model.py) */
#define RESTORE_HARMONIC_SWEEPS 8
/* the most unet.prefill_sweeps may ask for (MAX_SWEEPS in model.py) */
#define RESTORE_MAX_SWEEPS 64

G_BEGIN_DECLS

/* restore.task: what the network is for. */
typedef enum
{
  RESTORE_MODEL_TASK_INPAINT,  /* RGB + mask -> restored RGB (the default) */
  RESTORE_MODEL_TASK_DETECT,   /* RGB -> defect probability (restore-detect.h) */
  RESTORE_MODEL_TASK_COUNT
} RestoreModelTask;


/* A loaded, validated network; read-only once loaded (the scratch memory
 * of its forward passes is the RestoreContext's). */
typedef struct _RestoreModel RestoreModel;

/**
 * restore_model_load:
 * Loads a model file, validates the container, the metadata and every
 * expected tensor's name and shape.  Returns a new model, free with
 * restore_model_free(), or NULL with @error set.
 */
RestoreModel *restore_model_load            (const char   *path,
                                             GError            **error);
RestoreModel *restore_model_load_from_data  (const guint8 *data,
                                             gsize         size,
                                             GError            **error);
void          restore_model_free            (RestoreModel *model);

const char   *restore_model_get_name        (const RestoreModel *model);
const char   *restore_model_get_description (const RestoreModel *model);
const char   *restore_model_get_license     (const RestoreModel *model);
int           restore_model_get_depth       (const RestoreModel *model);
/* Context in pixels a tile needs on each side (unet.receptive_field). */
int           restore_model_get_halo        (const RestoreModel *model);
/* restore.max_radius, or 0 when the model does not set it. */
double        restore_model_get_max_radius  (const RestoreModel *model);
/* restore.flips: how many mirror images of a tile the model is meant to be
 * run on and averaged (1, 2 or 4; 1 when the file does not set it). */
int           restore_model_get_flips       (const RestoreModel *model);
/* restore.flips_radius: a restore (restore_run() with options.flips 0)
 * averages the mirror images only on tiles holding damage wider than this
 * (a masked pixel farther than it, plus half a pixel, from every unmasked
 * one); 0 (unset): on every tile. */
double        restore_model_get_flips_radius (const RestoreModel *model);
RestoreModelTask restore_model_get_task      (const RestoreModel *model);
/* unet.in_channels (4, or 3 for a detector) and unet.out_channels (3 or 1). */
int           restore_model_get_in_channels (const RestoreModel *model);
int           restore_model_get_out_channels (const RestoreModel *model);
float         restore_model_get_norm_scale  (const RestoreModel *model);
float         restore_model_get_norm_offset (const RestoreModel *model);
/* Multiply-adds of one forward pass over a h x w tile. */
double        restore_model_get_flops       (const RestoreModel *model,
                                             int                 width,
                                             int                 height);

/**
 * restore_model_forward:
 * @input:  [C_in, height, width] network input as described above
 *          (C_in = restore_model_get_in_channels (): 4, or 3 for a detector)
 * @output: [C_out, height, width] network output y (before de-normalising;
 *          for a detector the probabilities)
 * Runs the network on one tile with the threads and scratch memory of
 * @ctx.  height and width must be multiples of 2^depth.  The model is
 * only read: passes with different contexts may run on it at once.
 * Deterministic (whatever the context's thread count).
 */
gboolean      restore_model_forward         (const RestoreModel *model,
                                             RestoreContext     *ctx,
                                             const float        *input,
                                             float              *output,
                                             int                 width,
                                             int                 height,
                                             GError            **error);

/* Same, with the plain reference convolution (tests only). */
gboolean      restore_model_forward_reference (const RestoreModel *model,
                                               RestoreContext     *ctx,
                                               const float        *input,
                                               float              *output,
                                               int                 width,
                                               int                 height,
                                               GError            **error);

/**
 * restore_model_forward_masked:
 * Same as restore_model_forward() for an inpainting model, but only the
 * output at pixels whose mask (input channel 3) is > 0 is computed: the
 * decoder runs on the pixels that can reach one of them (restore-unet.c,
 * "the sparse decoder"), the encoder on all.  There the output equals
 * restore_model_forward()'s up to float rounding; elsewhere it is finite
 * but unspecified (at present the input's channels 0..2).  A detector
 * runs densely.  The decoder's mode, and a switch that fills the scratch
 * with NaN first (tests), are the context's (restore-context.h).
 */
gboolean      restore_model_forward_masked  (const RestoreModel *model,
                                             RestoreContext     *ctx,
                                             const float        *input,
                                             float              *output,
                                             int                 width,
                                             int                 height,
                                             GError            **error);

/**
 * restore_model_forward_flipped:
 * @n_flips: 1, 2 or 4 (usually restore_model_get_flips ())
 * @masked: TRUE for restore_model_forward_masked(), FALSE for
 *          restore_model_forward()
 * The mean of the network's outputs on the tile and on its mirror images,
 * each mirrored back: 1 = the tile alone; 2 = and its left-right mirror;
 * 4 = and its upside-down and its 180-degree-rotated images (a
 * "self-ensemble": the network was trained on flipped crops, so the four
 * are equally good guesses whose errors partly cancel).  Costs @n_flips
 * forward passes and, for 2 or 4, (C_in + C_out) x height x width floats.
 */
gboolean      restore_model_forward_flipped (const RestoreModel *model,
                                             RestoreContext     *ctx,
                                             const float        *input,
                                             float              *output,
                                             int                 width,
                                             int                 height,
                                             int                 n_flips,
                                             gboolean            masked,
                                             GError            **error);

G_END_DECLS
