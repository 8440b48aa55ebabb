/* gimp-restore: the U-Net's model structure, shared by its loader
 * (restore-unet.c) and its forward pass (restore-forward.c); internal to
 * core/.
 */
#pragma once

#include "restore-file.h"
#include "restore-ops.h"
#include "restore-unet.h"

#define DEPTH_MAX        7
#define CHANNELS_MAX     1024
#define DILATIONS_MAX    8
#define DILATION_MAX     256
#define HALO_MAX         4096
#define TILE_MAX         16384
#define FLOAT_ALIGN      16          /* 64 bytes */

typedef struct
{
  char               name[32];
  const float       *weight;     /* [G * c_out, c_in, kernel, kernel] */
  const float       *bias;       /* [G * c_out] */
  int                c_in;
  int                c_out;      /* channels after gating */
  int                groups;     /* G: 2 when gated */
  int                kernel;
  int                stride;
  int                dilation;
  int                level;      /* resolution level of the output */
  RestoreActivation  act;
} Layer;

struct _RestoreModel
{
  RestoreFile       *file;
  const char        *name;
  const char        *description;
  const char        *license;
  int                depth;
  int                channels[DEPTH_MAX + 1];
  int                n_dilations;
  int                dilations[DILATIONS_MAX];
  gboolean           gated;
  gboolean           residual;
  gboolean           prefill;    /* unet.prefill "pushpull" or "harmonic" */
  int                sweeps;     /* relaxation sweeps: "harmonic" only */
  RestoreModelTask   task;       /* restore.task */
  int                in_channels;
  int                out_channels;
  gboolean           sigmoid;    /* unet.output "sigmoid" */
  RestoreActivation  act;
  int                halo;
  float              scale;
  float              offset;
  float              max_radius;
  int                flips;      /* restore.flips: 1, 2 or 4 */
  float              flips_radius; /* restore.flips_radius, 0 if unset */

  Layer             *layers;
  int                n_layers;
};
