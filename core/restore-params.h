/* gimp-restore: the one parameter table.
 *
 * Name, label, range and default of every user setting are declared once,
 * here, and drive the PDB parameter list (plugin/), the dialog widgets
 * (ui/), the command's options (cli/) and the validation of
 * non-interactive calls.  Labels and blurbs are marked with N_() and
 * translated by the host.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The restore settings.  The first RESTORE_PARAM_COUNT are the arguments
 * of plug-in-restore after its image and drawable, in this order: that
 * signature is fixed, so settings added later come after
 * RESTORE_PARAM_COUNT.  They are offered by the dialogs and the command
 * and kept with the plug-ins' last values, while a script's call of
 * plug-in-restore runs them at their defaults.  RESTORE_PARAM_TABLE_COUNT
 * counts them all (restore_params' size). */
typedef enum
{
  RESTORE_PARAM_MODEL,
  RESTORE_PARAM_DENOISE,
  RESTORE_PARAM_SHARPEN,
  RESTORE_PARAM_COUNT,                        /* the PDB arguments */
  RESTORE_PARAM_GRAIN = RESTORE_PARAM_COUNT,  /* double 0..2: film grain */
  RESTORE_PARAM_TEXTURE,                      /* double 0..2: texture in wide fills */
  RESTORE_PARAM_TABLE_COUNT
} RestoreParamId;

/* The settings of damage detection (Filters -> Restore -> Detect Damage,
 * plug-in-restore-detect, gimp-restore --detect / --auto), in their own
 * table so that the restore procedure's parameter list stays as it is.
 * "operation" is the selection operation of the plug-in. */
typedef enum
{
  RESTORE_DETECT_PARAM_SENSITIVITY,  /* double 0..1 */
  RESTORE_DETECT_PARAM_OPERATION,    /* int: RestoreDetectOperation */
  RESTORE_DETECT_PARAM_MIN_SIZE,     /* int px */
  RESTORE_DETECT_PARAM_MAX_SIZE,     /* int px */
  RESTORE_DETECT_PARAM_GROW,         /* int px */
  RESTORE_DETECT_PARAM_FRINGE,       /* double 0..1, a probability */
  RESTORE_DETECT_PARAM_EXTEND,       /* double 0.001..1, a probability */
  RESTORE_DETECT_PARAM_SCALE,        /* int: 1 = full resolution, N = reduced N times, 0 = automatic */
  RESTORE_DETECT_PARAM_COUNT
} RestoreDetectParamId;

typedef enum
{
  RESTORE_DETECT_OPERATION_REPLACE,  /* the detected damage replaces the selection */
  RESTORE_DETECT_OPERATION_ADD,      /* it is added to the selection */
  RESTORE_DETECT_OPERATION_COUNT
} RestoreDetectOperation;

typedef enum
{
  RESTORE_PARAM_TYPE_STRING,
  RESTORE_PARAM_TYPE_DOUBLE,
  RESTORE_PARAM_TYPE_INT,     /* whole numbers in min..max (min, max, def, step) */
  RESTORE_PARAM_TYPE_COUNT
} RestoreParamType;

typedef struct
{
  const char      *name;      /* PDB name and --option name: "model", "denoise" */
  const char      *label;     /* N_() dialog label with mnemonic */
  const char      *blurb;     /* N_() PDB description and tooltip */
  RestoreParamType type;
  double           min, max, def, step; /* doubles and ints */
  int              digits;    /* doubles: decimals shown; ints: 0 */
  gssize           offset;    /* of its field (double or int) in
                               * RestoreOptions (restore_params) or
                               * RestoreDetectOptions (restore_detect_params);
                               * -1: none (the model name, the plug-in's
                               * selection operation) */
} RestoreParamSpec;

extern const RestoreParamSpec restore_params[RESTORE_PARAM_TABLE_COUNT];
extern const RestoreParamSpec restore_detect_params[RESTORE_DETECT_PARAM_COUNT];

/* TRUE when @value lies in the range of the double parameter @id; else
 * sets @error (RESTORE_ERROR_INVALID) with a message naming the parameter
 * and its range. */
gboolean restore_param_check_double (RestoreParamId id,
                                     double         value,
                                     GError       **error);

/* The same for a detection parameter: doubles must lie in the range, ints
 * must also be whole numbers ("min-size must be a whole number between 1
 * and 256, got 2.5"). */
gboolean restore_detect_param_check (RestoreDetectParamId id,
                                     double               value,
                                     GError             **error);

/* The value of @spec's field in @options (a RestoreOptions for
 * restore_params, a RestoreDetectOptions for restore_detect_params);
 * @spec->offset >= 0. */
double   restore_param_get           (const RestoreParamSpec *spec,
                                      gconstpointer           options);
/* Checks @value against @spec's range (a whole number for an int) and
 * writes it into @options; FALSE with @error set, @options untouched, when
 * it is out of range. */
gboolean restore_param_set           (const RestoreParamSpec *spec,
                                      gpointer                options,
                                      double                  value,
                                      GError                **error);
/* Sets every field of @options that a parameter of @table (@n entries)
 * names to its default. */
void     restore_params_set_defaults (const RestoreParamSpec *table,
                                      int                     n,
                                      gpointer                options);
/* Copies every field that a parameter of @table (@n entries) names from
 * @src to @dst (both a RestoreOptions or both a RestoreDetectOptions), as
 * it is; the other fields of @dst are left alone. */
void     restore_params_copy         (const RestoreParamSpec *table,
                                      int                     n,
                                      gpointer                dst,
                                      gconstpointer           src);
/* TRUE when every field of @options that a parameter of @table names lies
 * in its range; else sets @error naming the first that does not. */
gboolean restore_params_check        (const RestoreParamSpec *table,
                                      int                     n,
                                      gconstpointer           options,
                                      GError                **error);

G_END_DECLS
