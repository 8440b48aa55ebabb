/* gimp-restore: Winograd F(2x2, 3x3) transforms of restore-ops.c
 * (internal to core/).
 *
 * A 3x3 stride-1 undilated convolution computes each 2x2 block of output
 * pixels from the 4x4 input patch around it with 16 elementwise products
 * in the transformed domain, which summed over the input channels are 16
 * matrix products [c_out, c_in] x [c_in, tiles]: 2.25 times fewer
 * multiply-adds than im2col.  restore-ops.c calls the products.
 */
#pragma once

#include <glib.h>

#include "restore-ops.h"

G_BEGIN_DECLS

/* points of the transformed 4x4 patch */
#define WINO_POINTS 16

/* u [16][c_out][c_in]: the transformed 3x3 kernels. */
void  restore_wino_weights    (const float      *weight,
                               int               c_out,
                               int               c_in,
                               float            *u);
/* Scratch floats of the transforms besides v and m. */
gsize restore_wino_pad_floats (int               tiles_x);
/* v [16][c_in][nt]: the transformed input patches of the tiles of output
 * rows y0..y1-1. */
void  restore_wino_input      (const float      *input,
                               int               c_in,
                               int               height,
                               int               width,
                               int               y0,
                               int               y1,
                               int               tiles_x,
                               gsize             nt,
                               float            *v,
                               float            *pad);
/* Output rows y0..y1-1 from the products m [16][c_out][nt], with bias and
 * activation. */
void  restore_wino_output     (const float      *m,
                               int               c_out,
                               int               height,
                               int               width,
                               int               y0,
                               int               y1,
                               int               tiles_x,
                               gsize             nt,
                               const float      *bias,
                               RestoreActivation act,
                               float            *output,
                               float            *pad);

G_END_DECLS
