/* gimp-restore: the tensor operations of the forward pass (private to core/).
 *
 * Tensors are float32 NCHW with N = 1 (see restore-unet.h): element
 * (c, y, x) of a [C, H, W] tensor is data[(c * H + y) * W + x].
 * Convolutions are square (kernel x kernel) with zero padding of
 * dilation * (kernel - 1) / 2 on every side ("same" size for stride 1).
 */
#pragma once

#include <glib.h>

#include "restore-context.h"
#include "restore-types.h"

G_BEGIN_DECLS

typedef enum
{
  RESTORE_OP_CONV2D,
  RESTORE_OP_CONV2D_REFERENCE,
  RESTORE_OP_ACTIVATE,
  RESTORE_OP_GATE,
  RESTORE_OP_UPSAMPLE2X,
  RESTORE_OP_COUNT
} RestoreOp;

const char *restore_op_get_name            (RestoreOp          op);

/* "relu", "leaky_relu", "elu", "none"; NULL for an invalid value. */
const char *restore_activation_get_name    (RestoreActivation  act);
/* Parses a name as written by restore_activation_get_name(). */
gboolean    restore_activation_from_name   (const char        *name,
                                            RestoreActivation *act);

/* Large buffers (workspaces, tiles, images): @bytes, 64-byte aligned, and
 * from 2 MiB on page-aligned with the kernel asked for transparent huge
 * pages (MADV_HUGEPAGE), which saves a page fault per 4 KiB on first touch
 * (bench/README.md, "How the engine spends its time").  Returns NULL
 * when the memory is not there; free with free(). */
void       *restore_ops_alloc              (gsize              bytes);
/* The same for @n floats. */
float      *restore_ops_alloc_floats       (gsize              n);

/* Output size of one spatial dimension. */
int         restore_ops_conv_out_size      (int in,
                                            int kernel,
                                            int stride,
                                            int dilation);

/* Floats of im2col scratch restore_ops_conv2d() needs (0 for the 1x1
 * stride-1 shortcut).  The scratch is banded, so it is bounded. */
gsize       restore_ops_conv2d_col_floats  (int c_in,
                                            int kernel,
                                            int stride,
                                            int dilation,
                                            int height,
                                            int width);

/**
 * restore_ops_conv2d:
 * @input:  [c_in, height, width]
 * @weight: [c_out, c_in, kernel, kernel]
 * @bias:   (nullable) [c_out]
 * @output: [c_out, h_out, w_out], must not overlap @input
 * @col:    scratch of restore_ops_conv2d_col_floats() floats (may be NULL
 *          when that is 0)
 * 2-D convolution in bands of output rows spread over the threads of
 * @ctx: Winograd F(2x2, 3x3) for 3x3 stride-1 undilated layers with at
 * least 8 input channels (unless @ctx says im2col), im2col + cblas_sgemm
 * otherwise, the input itself for 1x1; bias and activation applied to
 * each band while it is in cache.  The result does not depend on the
 * number of threads.  Counted in @ctx's statistics.
 */
void        restore_ops_conv2d             (RestoreContext    *ctx,
                                            const float       *input,
                                            int                c_in,
                                            int                height,
                                            int                width,
                                            const float       *weight,
                                            const float       *bias,
                                            int                c_out,
                                            int                kernel,
                                            int                stride,
                                            int                dilation,
                                            RestoreActivation  act,
                                            float             *output,
                                            float             *col);


/* Floats of scratch restore_ops_conv2d_runs() needs for this shape
 * (@c_out counting both halves of a gated layer), whatever the runs. */
gsize       restore_ops_conv2d_runs_col_floats (int c_in,
                                                int kernel,
                                                int c_out,
                                                int height,
                                                int width);

/**
 * restore_ops_conv2d_runs:
 * @input:   [c_in, height >> up, width >> up]
 * @up:      0, or 1 to convolve the nearest-neighbour 2x upsampling of
 *           @input (restore_ops_upsample2x()) without making it (a 3x3
 *           kernel then runs as four 2x2 ones on @input, one per output
 *           pixel parity: 4 multiply-adds per input channel, not 9)
 * @weight:  [groups * c_out, c_in, kernel, kernel], @kernel 1 or 3,
 *           stride 1, no dilation, zero padding (kernel - 1) / 2 at the
 *           borders of the height x width plane
 * @bias:    (nullable) [groups * c_out]
 * @groups:  1, or 2 for a gated layer: act (a) * sigmoid (b) with a the
 *           first c_out output channels and b the last
 * @runs:    the output pixels to compute, @n_runs runs of a row each
 * @output:  [c_out, height, width]; only the pixels of @runs are written
 * @col:     scratch of restore_ops_conv2d_runs_col_floats() floats
 * The same convolution as restore_ops_conv2d() on a set of output
 * pixels: their input patches are gathered (im2col) in chunks of a fixed
 * number of pixels, each chunk one cblas_sgemm, spread over the threads
 * of @ctx.
 * Each output pixel is computed from its own column of the gathered
 * matrix only, so input pixels outside the patches of @runs are never
 * read and values elsewhere in @output are left as they are.
 */
void        restore_ops_conv2d_runs        (RestoreContext    *ctx,
                                            const float       *input,
                                            int                c_in,
                                            int                height,
                                            int                width,
                                            int                up,
                                            const float       *weight,
                                            const float       *bias,
                                            int                c_out,
                                            int                groups,
                                            int                kernel,
                                            RestoreActivation  act,
                                            const RestoreSpan *runs,
                                            int                n_runs,
                                            float             *output,
                                            float             *col);

/* Same result with plain nested loops (double accumulation); for tests. */
void        restore_ops_conv2d_reference   (const float       *input,
                                            int                c_in,
                                            int                height,
                                            int                width,
                                            const float       *weight,
                                            const float       *bias,
                                            int                c_out,
                                            int                kernel,
                                            int                stride,
                                            int                dilation,
                                            RestoreActivation  act,
                                            float             *output);

/* data[i] = act (data[i]) for n values. */
void        restore_ops_activate           (float             *data,
                                            gsize              n,
                                            RestoreActivation  act);

/* Adds bias[c] to each of @channels planes of @plane values, then act. */
void        restore_ops_bias_activate      (float             *data,
                                            gsize              stride,
                                            const float       *bias,
                                            int                channels,
                                            gsize              plane,
                                            RestoreActivation  act);

/**
 * restore_ops_gate:
 * @raw:    [2 * channels, plane]: a = [0, channels), b = [channels, 2 channels)
 * @output: [channels, plane] = act (a) * sigmoid (b); may equal @raw
 */
void        restore_ops_gate               (const float       *raw,
                                            int                channels,
                                            gsize              plane,
                                            RestoreActivation  act,
                                            float             *output);

/* Nearest-neighbour 2x: [channels, height, width] -> [channels, 2h, 2w]. */
void        restore_ops_upsample2x         (const float       *input,
                                            int                channels,
                                            int                height,
                                            int                width,
                                            float             *output);

G_END_DECLS
