/* gimp-restore: the one parameter table (see restore-params.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "restore-detect.h"
#include "restore-engine.h"
#include "restore-params.h"

G_STATIC_ASSERT (RESTORE_PARAM_COUNT == 3);  /* plug-in-restore's arguments */
G_STATIC_ASSERT (RESTORE_PARAM_TABLE_COUNT == 5);
G_STATIC_ASSERT (RESTORE_PARAM_TYPE_COUNT == 3);
G_STATIC_ASSERT (RESTORE_DETECT_PARAM_COUNT == 8);
G_STATIC_ASSERT (RESTORE_DETECT_OPERATION_COUNT == 2);

const RestoreParamSpec restore_params[RESTORE_PARAM_TABLE_COUNT] = {
  [RESTORE_PARAM_MODEL] = {
    .name  = "model",
    .label = N_("_Model:"),
    .blurb = N_("Model to restore with; empty for automatic (each damaged "
                "region goes to the model made for its size)"),
    .type  = RESTORE_PARAM_TYPE_STRING,
    .offset = -1,
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
    .offset = G_STRUCT_OFFSET (RestoreOptions, denoise),
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
    .offset = G_STRUCT_OFFSET (RestoreOptions, sharpen),
  },
  /* Not an argument of plug-in-restore (see restore-params.h): a script's
   * call gets the default.  1 matches the surroundings' grain. */
  [RESTORE_PARAM_GRAIN] = {
    .name   = "grain",
    .label  = N_("_Grain:"),
    .blurb  = N_("Film grain added to the restored area to match its "
                 "surroundings (0 = off, 1 = the surroundings' level)"),
    .type   = RESTORE_PARAM_TYPE_DOUBLE,
    .min    = 0.0,
    .max    = 2.0,
    .def    = 1.0,
    .step   = 0.01,
    .digits = 2,
    .offset = G_STRUCT_OFFSET (RestoreOptions, grain),
  },
  /* Not an argument of plug-in-restore either.  1 adds the surroundings'
   * detail at the amplitude bench/quality.py's held-out photos chose. */
  [RESTORE_PARAM_TEXTURE] = {
    .name   = "texture",
    .label  = N_("_Texture:"),
    .blurb  = N_("Texture of the surroundings added to restored areas wider than "
                 "32 pixels (0 = off, 1 = the surroundings' level)"),
    .type   = RESTORE_PARAM_TYPE_DOUBLE,
    .min    = 0.0,
    .max    = 2.0,
    .def    = 1.0,
    .step   = 0.01,
    .digits = 2,
    .offset = G_STRUCT_OFFSET (RestoreOptions, texture),
  },
};

const RestoreParamSpec restore_detect_params[RESTORE_DETECT_PARAM_COUNT] = {
  [RESTORE_DETECT_PARAM_SENSITIVITY] = {
    .name   = "sensitivity",
    .label  = N_("_Sensitivity:"),
    .blurb  = N_("How readily a pixel counts as damage (0 = only certain "
                 "defects, 1 = anything suspicious)"),
    .type   = RESTORE_PARAM_TYPE_DOUBLE,
    .min    = 0.0,
    .max    = 1.0,
    .def    = 0.4,
    .step   = 0.01,
    .digits = 2,
    .offset = G_STRUCT_OFFSET (RestoreDetectOptions, sensitivity),
  },
  [RESTORE_DETECT_PARAM_OPERATION] = {
    .name   = "operation",
    .label  = N_("_Replace the selection"),
    .blurb  = N_("0 = the detected damage replaces the selection, "
                 "1 = it is added to the selection"),
    .type   = RESTORE_PARAM_TYPE_INT,
    .min    = 0,
    .max    = RESTORE_DETECT_OPERATION_COUNT - 1,
    .def    = RESTORE_DETECT_OPERATION_REPLACE,
    .step   = 1,
    .offset = -1,
  },
  [RESTORE_DETECT_PARAM_MIN_SIZE] = {
    .name   = "min-size",
    .label  = N_("Mi_nimum size:"),
    .blurb  = N_("Narrowest defect to select, in pixels (width of a "
                 "scratch, diameter of a speck)"),
    .type   = RESTORE_PARAM_TYPE_INT,
    .min    = 1,
    .max    = 256,
    .def    = 1,
    .step   = 1,
    .offset = G_STRUCT_OFFSET (RestoreDetectOptions, min_size),
  },
  [RESTORE_DETECT_PARAM_MAX_SIZE] = {
    .name   = "max-size",
    .label  = N_("Ma_ximum size:"),
    .blurb  = N_("Widest defect to select, in pixels (wider marks are left "
                 "out)"),
    .type   = RESTORE_PARAM_TYPE_INT,
    .min    = 1,
    .max    = 1024,
    .def    = 48,
    .step   = 1,
    .offset = G_STRUCT_OFFSET (RestoreDetectOptions, max_size),
  },
  [RESTORE_DETECT_PARAM_GROW] = {
    .name   = "grow",
    .label  = N_("_Grow by:"),
    .blurb  = N_("Margin added around each defect, in pixels (one pixel less "
                 "where the detector finds a pixel hardly suspicious)"),
    .type   = RESTORE_PARAM_TYPE_INT,
    .min    = 0,
    .max    = 32,
    .def    = 2,
    .step   = 1,
    .offset = G_STRUCT_OFFSET (RestoreDetectOptions, grow),
  },
  [RESTORE_DETECT_PARAM_FRINGE] = {
    .name   = "fringe",
    .label  = N_("_Fringe:"),
    .blurb  = N_("Defect probability a pixel needs to get the whole margin; "
                 "pixels the detector finds less suspicious get one pixel "
                 "less (0 = the same margin everywhere)"),
    .type   = RESTORE_PARAM_TYPE_DOUBLE,
    .min    = 0.0,
    .max    = 1.0,
    .def    = 0.02,
    .step   = 0.01,
    .digits = 2,
    .offset = G_STRUCT_OFFSET (RestoreDetectOptions, fringe),
  },
  [RESTORE_DETECT_PARAM_EXTEND] = {
    .name   = "extend",
    .label  = N_("E_xtend into:"),
    .blurb  = N_("Defect probability at which a pixel joins a defect it "
                 "touches, so a scratch found only in places is selected "
                 "along its whole length (1 = off)"),
    .type   = RESTORE_PARAM_TYPE_DOUBLE,
    .min    = 0.001,
    .max    = 1.0,
    .def    = 0.015,
    .step   = 0.01,
    .digits = 3,
    .offset = G_STRUCT_OFFSET (RestoreDetectOptions, extend),
  },
  [RESTORE_DETECT_PARAM_SCALE] = {
    .name   = "scale",
    .label  = N_("_Look at 1/N size:"),
    .blurb  = N_("Look for the damage in the picture reduced this many "
                 "times (2 or 3 for scans whose defects are soft and "
                 "several pixels wide; 1 = full resolution; 0 = automatic: "
                 "full resolution where the picture is sharp, half size "
                 "where it is soft)"),
    .type   = RESTORE_PARAM_TYPE_INT,
    .min    = 0,
    .max    = 8,
    .def    = 0,
    .step   = 1,
    .offset = G_STRUCT_OFFSET (RestoreDetectOptions, scale),
  },
};

static gboolean
param_spec_check (const RestoreParamSpec *spec,
                  double                  value,
                  GError                **error)
{
  g_return_val_if_fail (spec->type != RESTORE_PARAM_TYPE_STRING, FALSE);

  if (isnan (value) || value < spec->min || value > spec->max
      || (spec->type == RESTORE_PARAM_TYPE_INT && value != floor (value)))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "%s must be %sbetween %g and %g, got %g", spec->name,
                   spec->type == RESTORE_PARAM_TYPE_INT ? "a whole number " : "",
                   spec->min, spec->max, value);
      return FALSE;
    }
  return TRUE;
}

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
  g_return_val_if_fail (id >= 0 && id < RESTORE_PARAM_TABLE_COUNT, FALSE);
  g_return_val_if_fail (restore_params[id].type == RESTORE_PARAM_TYPE_DOUBLE, FALSE);

  return param_spec_check (&restore_params[id], value, error);
}

/**
 * restore_detect_param_check:
 * @id: a detection parameter
 * @value: the value to check (ints as doubles)
 * Returns TRUE when @value lies in the parameter's range (and is a whole
 * number for an int parameter); otherwise sets @error
 * (RESTORE_ERROR_INVALID) naming the parameter and its range.  NaN is
 * refused.
 */
gboolean
restore_detect_param_check (RestoreDetectParamId id,
                            double               value,
                            GError             **error)
{
  g_return_val_if_fail (id >= 0 && id < RESTORE_DETECT_PARAM_COUNT, FALSE);

  return param_spec_check (&restore_detect_params[id], value, error);
}

/** restore_param_get: See restore-params.h. */
double
restore_param_get (const RestoreParamSpec *spec,
                   gconstpointer           options)
{
  const guint8 *field;

  g_return_val_if_fail (spec->offset >= 0 && spec->type != RESTORE_PARAM_TYPE_STRING, 0.0);

  field = (const guint8 *) options + spec->offset;
  if (spec->type == RESTORE_PARAM_TYPE_INT)
    return *(const int *) field;
  return *(const double *) field;
}

/** restore_param_set: See restore-params.h. */
gboolean
restore_param_set (const RestoreParamSpec *spec,
                   gpointer                options,
                   double                  value,
                   GError                **error)
{
  guint8 *field;

  g_return_val_if_fail (spec->offset >= 0, FALSE);

  if (! param_spec_check (spec, value, error))
    return FALSE;
  field = (guint8 *) options + spec->offset;
  if (spec->type == RESTORE_PARAM_TYPE_INT)
    *(int *) field = (int) value;
  else
    *(double *) field = value;
  return TRUE;
}

/** restore_params_set_defaults: See restore-params.h. */
void
restore_params_set_defaults (const RestoreParamSpec *table,
                             int                     n,
                             gpointer                options)
{
  for (int i = 0; i < n; i++)
    if (table[i].offset >= 0)
      restore_param_set (&table[i], options, table[i].def, NULL);
}

/** restore_params_copy: See restore-params.h. */
void
restore_params_copy (const RestoreParamSpec *table,
                     int                     n,
                     gpointer                dst,
                     gconstpointer           src)
{
  for (int i = 0; i < n; i++)
    if (table[i].offset >= 0)
      memcpy ((guint8 *) dst + table[i].offset, (const guint8 *) src + table[i].offset,
              table[i].type == RESTORE_PARAM_TYPE_INT ? sizeof (int) : sizeof (double));
}

/** restore_params_check: See restore-params.h. */
gboolean
restore_params_check (const RestoreParamSpec *table,
                      int                     n,
                      gconstpointer           options,
                      GError                **error)
{
  for (int i = 0; i < n; i++)
    if (table[i].offset >= 0
        && ! param_spec_check (&table[i], restore_param_get (&table[i], options), error))
      return FALSE;
  return TRUE;
}

/**
 * restore_options_init:
 * @options: the options to fill
 * Sets every field to its default: the parameter table's defaults for
 * denoise, sharpen, grain and texture, all cores, the default tile size, each model's
 * own number of flips, no progress callback and no cancel flag.
 */
void
restore_options_init (RestoreOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  restore_params_set_defaults (restore_params, RESTORE_PARAM_TABLE_COUNT, options);
  options->n_threads = 0;
  options->tile_size = 0;
  options->flips = 0;
  options->progress = NULL;
  options->progress_data = NULL;
  options->cancel = NULL;
}
