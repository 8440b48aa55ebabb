/* gimp-restore: filling holes from their border.
 *
 * The U-Net's pre-fill (unet.prefill "pushpull" or "harmonic",
 * restore-unet.h): the hole gets a smooth fill from its border before the
 * network sees it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Push-pull fill of the unknown part of [channels, height, width] planes.
 * @values: in: each value already multiplied by its weight; out: the filled
 *          values (where weight is 1 the value itself).
 * @weight: [height, width], 0 (unknown) .. 1 (known).
 * Push: 2x2 box sums of values and weights (odd sizes padded with zeros),
 * level by level down to 1x1.  Pull, coarsest first:
 *   f = a * p / w + (1 - a) * up (f_coarser)   with a = min (w, 1),
 *   f = up (f_coarser) where w == 0, and at the 1x1 level f = p / w (0 when
 *   w == 0); up is bilinear 2x with half-pixel centres, edges clamped.
 * @sweeps: 0 for plain push-pull.  Otherwise (the "harmonic" pre-fill) each
 *          level, once pulled, gets @sweeps red-black Gauss-Seidel sweeps of
 *            f = p + (1 - w) * mean of the 4 neighbours (edges replicated)
 *          on its cells with w < 1, before the next finer level pulls it:
 *          a cascadic multigrid membrane (Laplace) fill of the hole.
 * Same arithmetic as push_pull() in weights/recipe/model.py.
 * @scratch: restore_fill_push_pull_floats() floats.
 */
gsize       restore_fill_push_pull_floats   (int                channels,
                                            int                height,
                                            int                width,
                                            int                sweeps);
void        restore_fill_push_pull          (float             *values,
                                            const float       *weight,
                                            int                channels,
                                            int                height,
                                            int                width,
                                            int                sweeps,
                                            float             *scratch);

G_END_DECLS
