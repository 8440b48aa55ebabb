/* gimp-restore: post-processing inside the mask (private to core/).
 *
 * Images here are planar float [channels, height, width] (the layout of
 * restore-unet.h), masks [height, width] with 0 = keep, 1 = restored.
 * Denoise is a self-guided filter (He et al.'s guided filter with the
 * image as its own guide): flat noisy areas are smoothed, edges whose
 * contrast exceeds the noise level are kept.  Sharpen is an unsharp mask.
 * restore_post_apply() blends the filtered image back through the mask
 * feathered inward by a few pixels, so the effect fades towards the
 * untouched surroundings and pixels with mask 0 never change.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Pixels the filters of restore_post_apply() reach beyond the mask. */
#define RESTORE_POST_MARGIN 12

/* Denoises @img in place; @strength 0..1 (0 leaves it unchanged). */
void restore_post_denoise (float *img,
                           int    channels,
                           int    width,
                           int    height,
                           double strength);

/* Sharpens @img in place; @strength 0..1 (0 leaves it unchanged). */
void restore_post_sharpen (float *img,
                           int    channels,
                           int    width,
                           int    height,
                           double strength);

void restore_post_apply   (float       *img,
                           const float *mask,
                           int          channels,
                           int          width,
                           int          height,
                           double       denoise,
                           double       sharpen);

G_END_DECLS
