/* gimp-restore: what the dialogs need from the program that shows them.
 *
 * ui/ links against core/ and GTK 3 only, so that each GIMP front end (and
 * a test without GIMP) can show the same dialogs.  The front end fills a
 * UiHost: it reads the pixels around the selection, keeps the dialogs
 * above its window, shows its own progress bar after a dialog closed
 * while work goes on, and lends its model registry.  Every callback is
 * called on the main thread.
 */
#pragma once

#include <glib.h>

#include "restore-engine.h"
#include "restore-registry.h"

G_BEGIN_DECLS

/* A rectangle of the drawable and the selection over it, in core buffers. */
typedef struct
{
  int          x, y, width, height;  /* in drawable coordinates */
  RestoreImage image;                /* owns its data */
  float       *mask;                 /* [height * width], owned */
} UiRegion;

void ui_region_free (UiRegion *region);

typedef struct _UiHost UiHost;

struct _UiHost
{
  /* The selection's bounding box grown by @margin pixels (clamped to the
   * drawable), capped to a @max_side x @max_side window centred on the
   * selection (0: no cap); NULL with @error set. */
  UiRegion *(*read_region)     (UiHost     *host,
                                int         margin,
                                int         max_side,
                                GError    **error);
  /* Optional (NULL: none): keeps @dialog (a GtkWindow) above the host's
   * window. */
  void      (*set_transient)   (UiHost     *host,
                                gpointer    dialog);
  /* The host's progress bar: @text starts it, then fractions 0..1. */
  void      (*progress_start)  (UiHost     *host,
                                const char *text);
  void      (*progress_update) (UiHost     *host,
                                double      fraction);
  /* Optional (NULL: none): a preview was shown in @dialog; tests drive the
   * dialogs from here. */
  void      (*preview_shown)   (UiHost     *host,
                                gpointer    dialog);
  /* The installed models (not owned). */
  const RestoreRegistry *registry;
  /* Optional (NULL: each dialog loads its own): the loaded models, kept
   * by the host across dialogs (not owned). */
  struct _UiModels      *models;
  gpointer         data;             /* the host's own */
};

G_END_DECLS
