/* gimp-restore: the one parameter table (see restore-params.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "restore-engine.h"
#include "restore-params.h"

G_STATIC_ASSERT (RESTORE_PARAM_COUNT == 3);
G_STATIC_ASSERT (RESTORE_PARAM_TYPE_COUNT == 2);

const RestoreParamSpec restore_params[RESTORE_PARAM_COUNT] = {
  [RESTORE_PARAM_MODEL] = {
    .name  = "model",
    .label = N_("_Model:"),
    .blurb = N_("Model to restore with; empty for automatic (each damaged "
                "region goes to the model made for its size)"),
    .type  = RESTORE_PARAM_TYPE_STRING,
  },
  [RESTORE_PARAM_DENOISE] = {
    .name   = "denoise",
    .label  = N_("_Denoise:"),
    .blurb  = N_("Smooth noise in the restored area (0 = off, 1 = strongest)"),
    .type   = RESTORE_PARAM_TYPE_DOUBLE,
    .min    = 0.0,
    .max    = 1.0,
    .def    = 0.0,
    .step   = 0.01,
    .digits = 2,
  },
  [RESTORE_PARAM_SHARPEN] = {
    .name   = "sharpen",
    .label  = N_("_Sharpen:"),
    .blurb  = N_("Sharpen the restored area (0 = off, 1 = strongest)"),
    .type   = RESTORE_PARAM_TYPE_DOUBLE,
    .min    = 0.0,
    .max    = 1.0,
    .def    = 0.0,
    .step   = 0.01,
    .digits = 2,
  },
};

/**
 * restore_param_check_double:
 * @id: a parameter of type RESTORE_PARAM_TYPE_DOUBLE
 * @value: the value to check
 * Returns TRUE when @value lies in the parameter's range; otherwise sets
 * @error (RESTORE_ERROR_INVALID), e.g. "denoise must be between 0 and 1,
 * got 1.5".  NaN is refused.
 */
gboolean
restore_param_check_double (RestoreParamId id,
                            double         value,
                            GError       **error)
{
  const RestoreParamSpec *spec;

  g_return_val_if_fail (id >= 0 && id < RESTORE_PARAM_COUNT, FALSE);
  spec = &restore_params[id];
  g_return_val_if_fail (spec->type == RESTORE_PARAM_TYPE_DOUBLE, FALSE);

  if (isnan (value) || value < spec->min || value > spec->max)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "%s must be between %g and %g, got %g",
                   spec->name, spec->min, spec->max, value);
      return FALSE;
    }
  return TRUE;
}

/**
 * restore_options_init:
 * @options: the options to fill
 * Sets every field to its default: the parameter table's defaults for
 * denoise and sharpen, all cores, the default tile size, no progress
 * callback and no cancel flag.
 */
void
restore_options_init (RestoreOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->denoise = restore_params[RESTORE_PARAM_DENOISE].def;
  options->sharpen = restore_params[RESTORE_PARAM_SHARPEN].def;
  options->n_threads = 0;
  options->tile_size = 0;
  options->progress = NULL;
  options->progress_data = NULL;
  options->cancel = NULL;
}
