/* gimp-restore: the GTK 3 dialog of Detect Damage (see detect-dialog.h).
 *
 * Plain GTK 3 like restore-dialog.c; the widgets come from the detection
 * parameter table.  The drawable was read by the front end; a
 * worker thread runs the detector over it once, and each settings change
 * then only re-selects (restore_detect_select) in another worker after a
 * short pause, cancelling the previous one.  The preview shows the whole
 * drawable scaled to fit with the detected damage in red over it (a pixel
 * of the preview is red when any pixel it stands for is selected, so thin
 * scratches stay visible).  A change of the scale (the size the network
 * looks at) runs the network again, after the running pass is cancelled.
 * On a large drawable the first pass starts with a quick look: the
 * network, one pass without mirror images, on the picture reduced to about
 * QUICK_PIXELS, whose selection is shown while the full pass goes on.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gtk/gtk.h>
#include <glib/gi18n-lib.h>

#include "restore-params.h"
#include "ui-widgets.h"
#include "detect-dialog.h"

#define PREVIEW_W        480
#define PREVIEW_H        360
#define SELECT_DELAY_MS  200
#define SCALE_DELAY_MS   600
#define PROGRESS_MS      250
/* above twice this many pixels the first pass starts with a quick look at
 * about this many */
#define QUICK_PIXELS     1000000.0

/* The settings shown as sliders (RestoreDetectParamId), in this order. */
static const int sliders[] = {
  RESTORE_DETECT_PARAM_SENSITIVITY,
  RESTORE_DETECT_PARAM_MIN_SIZE,
  RESTORE_DETECT_PARAM_MAX_SIZE,
  RESTORE_DETECT_PARAM_GROW,
  RESTORE_DETECT_PARAM_SCALE,
};

typedef struct
{
  GtkWidget          *dialog, *preview, *status, *replace, *add;
  GtkAdjustment      *adj[RESTORE_DETECT_PARAM_COUNT];
  UiHost             *host;
  const RestoreImage *image;
  RestoreModel       *detector;
  int                 pw, ph;       /* preview size */
  guchar             *base;         /* [ph * pw * 3] the drawable, scaled */
  /* The network (one worker thread). */
  float              *prob;
  gint                prob_cancel;
  gint                prob_permille;
  gboolean            prob_ok;      /* written by the worker before prob_done runs */
  char               *prob_error;
  gboolean            prob_done;    /* main thread */
  int                 prob_scale;   /* the scale of the pass running or done */
  gboolean            prob_again;   /* main thread: run it again when it ends */
  /* The quick look (first pass on a large drawable only). */
  float              *quick;        /* [height, width], NULL when none */
  int                 quick_scale;  /* the reduction it runs at */
  gboolean            quick_ok;     /* written by the worker before quick_done runs */
  gboolean            quick_ready;  /* main thread: quick holds a map */
  int                 quick_n;      /* regions it found, -1 before */
  gboolean            quick_run;    /* the pass starting runs it first */
  guint               scale_id;
  /* Selection previews. */
  guint               timeout_id, progress_id;
  gint               *sel_cancel;   /* flag of the newest selection job */
  int                 running;      /* worker threads not yet done */
  gboolean            closed;
} DetectDialog;

typedef struct
{
  DetectDialog        *d;
  const float         *prob;        /* the map it selects from */
  gint                *cancel;
  RestoreDetectOptions options;
  float               *overlay;     /* [ph * pw] */
  int                  n;
  char                *error;
} SelectJob;

static void
dialog_get_settings (DetectDialog     *d,
                     UiDetectSettings *s)
{
  ui_detect_settings_defaults (s);
  ui_params_from_widgets (restore_detect_params, sliders, G_N_ELEMENTS (sliders), d->adj,
                          &s->options);
  s->operation = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->add))
                 ? RESTORE_DETECT_OPERATION_ADD : RESTORE_DETECT_OPERATION_REPLACE;
}

static void
dialog_set_settings (DetectDialog           *d,
                     const UiDetectSettings *s)
{
  /* the last slider first: the maximum size before the minimum, which
   * never pushes it */
  ui_params_to_widgets (restore_detect_params, sliders, G_N_ELEMENTS (sliders), d->adj,
                        &s->options);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (s->operation == RESTORE_DETECT_OPERATION_ADD
                                                   ? d->add : d->replace), TRUE);
}

/* The drawable scaled into the preview, nearest pixel. */
static void
dialog_make_base (DetectDialog *d)
{
  const RestoreImage *im = d->image;
  double              scale = MIN (1.0, MIN ((double) PREVIEW_W / im->width,
                                               (double) PREVIEW_H / im->height));
  int                 x, y, c;

  d->pw = MAX (1, (int) lround (im->width * scale));
  d->ph = MAX (1, (int) lround (im->height * scale));
  d->base = g_new (guchar, (gsize) d->pw * d->ph * 3);
  for (y = 0; y < d->ph; y++)
    {
      int sy = (int) (((gint64) y * 2 + 1) * im->height / (2 * d->ph));

      for (x = 0; x < d->pw; x++)
        {
          int          sx = (int) (((gint64) x * 2 + 1) * im->width / (2 * d->pw));
          const float *p = im->data + sy * im->rowstride + (gsize) sx * 3;

          for (c = 0; c < 3; c++)
            d->base[((gsize) y * d->pw + x) * 3 + c] =
              (guchar) (CLAMP (p[c], 0.0f, 1.0f) * 255.0f + 0.5f);
        }
    }
}

/* Shows the base with @overlay (NULL: none) in red over it. */
static void
dialog_show_preview (DetectDialog *d,
                     const float  *overlay)
{
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, d->pw, d->ph);
  guchar    *px = gdk_pixbuf_get_pixels (pb);
  int        stride = gdk_pixbuf_get_rowstride (pb);
  static const float red[3] = { 255.0f, 0.0f, 0.0f };
  int        x, y, c;

  for (y = 0; y < d->ph; y++)
    for (x = 0; x < d->pw; x++)
      {
        const guchar *b = d->base + ((gsize) y * d->pw + x) * 3;
        float         a = overlay ? 0.75f * overlay[(gsize) y * d->pw + x] : 0.0f;

        for (c = 0; c < 3; c++)
          px[y * stride + x * 3 + c] = (guchar) (b[c] * (1.0f - a) + red[c] * a + 0.5f);
      }
  gtk_image_set_from_pixbuf (GTK_IMAGE (d->preview), pb);
  g_object_unref (pb);
}

static gboolean prob_start (gpointer data);

static void
select_job_free (SelectJob *job)
{
  g_free (job->overlay);
  g_free (job->cancel);
  g_free (job->error);
  g_free (job);
}

/* Main thread: show a finished selection job. */
static gboolean
select_done (gpointer data)
{
  SelectJob    *job = data;
  DetectDialog *d = job->d;

  d->running--;
  if (d->sel_cancel == job->cancel)
    d->sel_cancel = NULL;
  if (! d->closed && ! g_atomic_int_get (job->cancel))
    {
      if (job->n >= 0 && job->prob == d->quick)
        {
          /* the full pass goes on: progress_tick shows the count */
          d->quick_n = job->n;
          dialog_show_preview (d, job->overlay);
        }
      else if (job->n >= 0)
        {
          char *text = g_strdup_printf (_("Damaged areas found: %d"), job->n);

          dialog_show_preview (d, job->overlay);
          gtk_label_set_text (GTK_LABEL (d->status), text);
          g_free (text);
          if (d->host->preview_shown && d->prob_done && d->running == 0)
            d->host->preview_shown (d->host, d->dialog);
        }
      else
        gtk_label_set_text (GTK_LABEL (d->status), job->error ? job->error : "");
    }
  select_job_free (job);
  if (d->prob_again && d->running == 0 && ! d->closed)
    prob_start (d);
  return G_SOURCE_REMOVE;
}

/* Worker thread: only core calls, no GTK. */
static gpointer
select_worker (gpointer data)
{
  SelectJob    *job = data;
  DetectDialog *d = job->d;
  int           w = d->image->width, h = d->image->height;
  float        *mask = g_new (float, (gsize) w * h);
  GError       *error = NULL;

  job->n = restore_detect_select (job->prob, w, h, mask, &job->options, &error);
  if (job->n >= 0)
    {
      int px, py, x, y;

      job->overlay = g_new0 (float, (gsize) d->pw * d->ph);
      for (py = 0; py < d->ph && ! g_atomic_int_get (job->cancel); py++)
        {
          int y0 = (int) ((gint64) py * h / d->ph);
          int y1 = MAX (y0 + 1, (int) ((gint64) (py + 1) * h / d->ph));

          for (px = 0; px < d->pw; px++)
            {
              int   x0 = (int) ((gint64) px * w / d->pw);
              int   x1 = MAX (x0 + 1, (int) ((gint64) (px + 1) * w / d->pw));
              float m = 0.0f;

              for (y = y0; y < y1; y++)
                for (x = x0; x < x1; x++)
                  m = MAX (m, mask[(gsize) y * w + x]);
              job->overlay[(gsize) py * d->pw + px] = m;
            }
        }
    }
  else
    job->error = g_strdup (error ? error->message : "");
  g_clear_error (&error);
  g_free (mask);
  g_idle_add (select_done, job);
  return NULL;
}

static gboolean
select_start (gpointer data)
{
  DetectDialog        *d = data;
  UiDetectSettings     settings;
  SelectJob           *job;
  const float         *prob;

  d->timeout_id = 0;
  if (d->closed)
    return G_SOURCE_REMOVE;
  if (d->prob_done && d->prob_ok)
    prob = d->prob;
  else if (! d->prob_done && d->quick_ready)
    prob = d->quick;
  else
    return G_SOURCE_REMOVE;
  if (d->sel_cancel)
    g_atomic_int_set (d->sel_cancel, 1);

  dialog_get_settings (d, &settings);
  job = g_new0 (SelectJob, 1);
  job->d = d;
  job->prob = prob;
  job->cancel = g_new0 (gint, 1);
  ui_detect_settings_to_options (&settings, &job->options);
  job->options.cancel = job->cancel;
  d->sel_cancel = job->cancel;
  d->running++;
  g_thread_unref (g_thread_new ("restore-detect-select", select_worker, job));
  return G_SOURCE_REMOVE;
}

static void
settings_changed (DetectDialog *d)
{
  if (d->timeout_id)
    g_source_remove (d->timeout_id);
  d->timeout_id = g_timeout_add (SELECT_DELAY_MS, select_start, d);
}

static void
on_changed (GtkAdjustment *adj,
            gpointer       data)
{
  DetectDialog  *d = data;
  GtkAdjustment *lo = d->adj[RESTORE_DETECT_PARAM_MIN_SIZE];
  GtkAdjustment *hi = d->adj[RESTORE_DETECT_PARAM_MAX_SIZE];

  if (adj == d->adj[RESTORE_DETECT_PARAM_SCALE])
    {
      /* the network again, once the value rests */
      if (d->scale_id)
        g_source_remove (d->scale_id);
      d->scale_id = g_timeout_add (SCALE_DELAY_MS, prob_start, d);
      return;
    }

  /* The minimum size never exceeds the maximum: the other one follows. */
  if (gtk_adjustment_get_value (lo) > gtk_adjustment_get_value (hi))
    {
      if (adj == lo)
        gtk_adjustment_set_value (hi, gtk_adjustment_get_value (lo));
      else
        gtk_adjustment_set_value (lo, gtk_adjustment_get_value (hi));
    }
  settings_changed (d);
}

static void
prob_progress (double   fraction,
               gpointer data)
{
  DetectDialog *d = data;

  g_atomic_int_set (&d->prob_permille, (gint) (fraction * 1000.0));
}

/* Main thread: the network is done (or failed, or was cancelled). */
static gboolean
prob_done (gpointer data)
{
  DetectDialog *d = data;

  d->running--;
  d->prob_done = TRUE;
  if (d->prob_again && ! d->closed)
    {
      /* the scale changed: start when no selection reads the map */
      if (d->running == 0)
        prob_start (d);
      return G_SOURCE_REMOVE;
    }
  if (! d->closed)
    {
      if (d->timeout_id)
        {
          g_source_remove (d->timeout_id);
          d->timeout_id = 0;
        }
      if (d->prob_ok)
        select_start (d);
      else
        gtk_label_set_text (GTK_LABEL (d->status), d->prob_error ? d->prob_error : "");
    }
  return G_SOURCE_REMOVE;
}

/* Main thread: the quick look is done; select from it while the full
 * pass goes on. */
static gboolean
quick_done (gpointer data)
{
  DetectDialog *d = data;

  if (d->quick_ok && ! d->prob_done && ! d->closed)
    {
      d->quick_ready = TRUE;
      select_start (d);
    }
  return G_SOURCE_REMOVE;
}

/* Worker thread: the detector over the whole drawable (after the quick
 * look when there is one). */
static gpointer
prob_worker (gpointer data)
{
  DetectDialog        *d = data;
  RestoreDetectOptions options;
  GError              *error = NULL;

  if (d->quick_run)
    {
      restore_detect_options_init (&options);
      options.scale = d->quick_scale;
      options.flips = 1;
      options.cancel = &d->prob_cancel;
      d->quick_ok = restore_detect_probability (d->detector, d->image,
                                                d->quick, &options, NULL);
      g_idle_add (quick_done, d);
    }
  restore_detect_options_init (&options);
  options.scale = d->prob_scale;
  options.progress = prob_progress;
  options.progress_data = d;
  options.cancel = &d->prob_cancel;
  d->prob_ok = restore_detect_probability (d->detector, d->image,
                                           d->prob, &options, &error);
  if (error)
    d->prob_error = g_strdup (error->message);
  g_clear_error (&error);
  g_idle_add (prob_done, d);
  return NULL;
}

static gboolean progress_tick (gpointer data);

/* The scale's spin button shows 0 as "Auto" and reads it back. */
static gboolean
scale_output (GtkSpinButton *spin,
              gpointer       data)
{
  int   v = (int) lround (gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin)));
  char *text = v == 0 ? g_strdup (_("Auto")) : g_strdup_printf ("%d", v);

  if (g_strcmp0 (text, gtk_entry_get_text (GTK_ENTRY (spin))) != 0)
    gtk_entry_set_text (GTK_ENTRY (spin), text);
  g_free (text);
  return TRUE;
}

static gint
scale_input (GtkSpinButton *spin,
             gdouble       *value,
             gpointer       data)
{
  char *text = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (spin))));
  char *end = NULL;
  gint  result;

  if (g_utf8_collate (text, _("Auto")) == 0 || g_ascii_strcasecmp (text, "auto") == 0)
    {
      *value = 0.0;
      result = TRUE;
    }
  else
    {
      *value = g_ascii_strtod (text, &end);
      result = end != text && *end == '\0' ? TRUE : GTK_INPUT_ERROR;
    }
  g_free (text);
  return result;
}

/* Main thread: starts the network at the scale shown.  While a worker
 * runs (the network at another scale, or a selection reading its
 * probabilities), cancels it and starts when the last one ends
 * (prob_done, select_done). */
static gboolean
prob_start (gpointer data)
{
  DetectDialog *d = data;
  int           scale = (int) lround (gtk_adjustment_get_value (d->adj[RESTORE_DETECT_PARAM_SCALE]));

  d->scale_id = 0;
  if (d->closed)
    return G_SOURCE_REMOVE;
  if (d->prob_scale == scale
      && (d->prob_done ? d->prob_ok : ! g_atomic_int_get (&d->prob_cancel)))
    {
      /* done or running at this scale */
      d->prob_again = FALSE;
      return G_SOURCE_REMOVE;
    }
  if (d->running > 0)
    {
      if (! d->prob_done)
        g_atomic_int_set (&d->prob_cancel, 1);
      if (d->sel_cancel)
        g_atomic_int_set (d->sel_cancel, 1);
      d->prob_again = TRUE;
      return G_SOURCE_REMOVE;
    }
  if (d->timeout_id)
    {
      g_source_remove (d->timeout_id);
      d->timeout_id = 0;
    }
  g_clear_pointer (&d->prob_error, g_free);
  g_atomic_int_set (&d->prob_cancel, 0);
  g_atomic_int_set (&d->prob_permille, 0);
  d->prob_again = FALSE;
  /* only the first pass (none started yet) starts with a quick look */
  d->quick_run = d->quick != NULL && d->prob_scale < 0;
  d->prob_scale = scale;
  d->prob_ok = FALSE;
  d->prob_done = FALSE;
  dialog_show_preview (d, NULL);
  d->running++;
  g_thread_unref (g_thread_new ("restore-detect", prob_worker, d));
  if (d->progress_id == 0)
    d->progress_id = g_timeout_add (PROGRESS_MS, progress_tick, d);
  progress_tick (d);
  return G_SOURCE_REMOVE;
}

/* Progress of the network: in the dialog while it is open, in the host's
 * progress bar after OK. */
static gboolean
progress_tick (gpointer data)
{
  DetectDialog *d = data;
  double        f = g_atomic_int_get (&d->prob_permille) / 1000.0;

  if (d->prob_done)
    {
      d->progress_id = 0;
      return G_SOURCE_REMOVE;
    }
  if (d->closed)
    d->host->progress_update (d->host, f);
  else
    {
      char *text = d->quick_n >= 0
                   ? g_strdup_printf (_("Quick look: %d damaged areas; looking closer… %d %%"),
                                      d->quick_n, (int) (f * 100.0))
                   : g_strdup_printf (_("Finding the damage… %d %%"), (int) (f * 100.0));

      gtk_label_set_text (GTK_LABEL (d->status), text);
      g_free (text);
    }
  return G_SOURCE_CONTINUE;
}

gboolean
detect_dialog_run (UiHost             *host,
                   const RestoreImage *image,
                   RestoreModel       *detector,
                   UiDetectSettings   *settings,
                   float             **prob)
{
  DetectDialog         d;
  GtkWidget           *content, *grid, *frame, *box;
  UiDetectSettings     defaults;
  int                  i, response;

  *prob = NULL;
  memset (&d, 0, sizeof (d));
  d.host = host;
  d.image = image;
  d.detector = detector;

  gdk_set_allowed_backends ("x11");
  if (! gtk_init_check (NULL, NULL))
    return FALSE;

  d.dialog = gtk_dialog_new_with_buttons (_("Restore: Detect Damage"), NULL, 0,
                                          _("_Reset"), 1,
                                          _("_Cancel"), GTK_RESPONSE_CANCEL,
                                          _("_OK"), GTK_RESPONSE_OK,
                                          NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (d.dialog), GTK_RESPONSE_OK);
  gtk_window_set_resizable (GTK_WINDOW (d.dialog), FALSE);
  content = gtk_dialog_get_content_area (GTK_DIALOG (d.dialog));
  gtk_container_set_border_width (GTK_CONTAINER (content), 12);

  grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_box_pack_start (GTK_BOX (content), grid, FALSE, FALSE, 0);

  for (i = 0; i < (int) G_N_ELEMENTS (sliders); i++)
    {
      GtkWidget     *spin;
      GtkAdjustment *adj = ui_param_row_attach (GTK_GRID (grid), i,
                                                &restore_detect_params[sliders[i]], &spin);

      d.adj[sliders[i]] = adj;
      if (sliders[i] == RESTORE_DETECT_PARAM_SCALE)
        {
          /* wide enough for "Auto" */
          gtk_entry_set_width_chars (GTK_ENTRY (spin), 5);
          g_signal_connect (spin, "output", G_CALLBACK (scale_output), NULL);
          g_signal_connect (spin, "input", G_CALLBACK (scale_input), NULL);
        }
    }

  /* Replace or add to the selection. */
  d.replace = gtk_radio_button_new_with_mnemonic (
    NULL, _(restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].label));
  d.add = gtk_radio_button_new_with_mnemonic_from_widget (
    GTK_RADIO_BUTTON (d.replace), _("_Add to the selection"));
  gtk_widget_set_tooltip_text (d.replace, _(restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].blurb));
  gtk_widget_set_tooltip_text (d.add, _(restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].blurb));
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_pack_start (GTK_BOX (box), d.replace, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), d.add, FALSE, FALSE, 0);
  gtk_grid_attach (GTK_GRID (grid), box, 0, G_N_ELEMENTS (sliders), 3, 1);

  /* The whole drawable with the detected damage over it. */
  frame = gtk_frame_new (_("Detected damage"));
  d.preview = gtk_image_new ();
  gtk_container_add (GTK_CONTAINER (frame), d.preview);
  gtk_box_pack_start (GTK_BOX (content), frame, FALSE, FALSE, 12);
  d.status = gtk_label_new ("");
  gtk_box_pack_start (GTK_BOX (content), d.status, FALSE, FALSE, 0);

  dialog_make_base (&d);
  dialog_show_preview (&d, NULL);
  dialog_set_settings (&d, settings);
  for (i = 0; i < (int) G_N_ELEMENTS (sliders); i++)
    g_signal_connect (d.adj[sliders[i]], "value-changed", G_CALLBACK (on_changed), &d);

  /* The network in the background (again only when the scale changes). */
  d.prob = g_new (float, (gsize) image->width * image->height);
  d.prob_done = TRUE;
  d.prob_scale = -1;   /* none yet (0 is the automatic scale) */
  d.quick_n = -1;
  if ((double) image->width * image->height > 2.0 * QUICK_PIXELS)
    {
      d.quick_scale = (int) ceil (sqrt ((double) image->width * image->height
                                        / QUICK_PIXELS));
      d.quick = g_new (float, (gsize) image->width * image->height);
    }
  prob_start (&d);

  if (host->set_transient)
    host->set_transient (host, d.dialog);
  gtk_widget_show_all (d.dialog);

  ui_detect_settings_defaults (&defaults);
  while ((response = gtk_dialog_run (GTK_DIALOG (d.dialog))) == 1)
    dialog_set_settings (&d, &defaults);

  if (response == GTK_RESPONSE_OK)
    dialog_get_settings (&d, settings);
  else
    g_atomic_int_set (&d.prob_cancel, 1);

  d.closed = TRUE;
  if (d.timeout_id)
    g_source_remove (d.timeout_id);
  if (d.scale_id)
    g_source_remove (d.scale_id);
  /* A pass at another scale than the one chosen is of no use: stop it,
   * and the front end computes the right one. */
  if (response == GTK_RESPONSE_OK && d.prob_scale != settings->options.scale)
    g_atomic_int_set (&d.prob_cancel, 1);
  if (d.sel_cancel)
    g_atomic_int_set (d.sel_cancel, 1);
  gtk_widget_destroy (d.dialog);
  /* After OK, the network goes on under the host's progress bar (in GIMP,
   * Cancel there ends the plug-in with the image untouched). */
  if (response == GTK_RESPONSE_OK && ! d.prob_done && d.prob_scale == settings->options.scale)
    host->progress_start (host, _("Finding the damage"));
  while (d.running > 0)
    g_main_context_iteration (NULL, TRUE);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  if (d.progress_id)
    g_source_remove (d.progress_id);

  if (response == GTK_RESPONSE_OK && d.prob_ok && d.prob_scale == settings->options.scale)
    {
      *prob = d.prob;
      d.prob = NULL;
    }
  g_free (d.prob);
  g_free (d.quick);
  g_free (d.prob_error);
  g_free (d.base);
  return response == GTK_RESPONSE_OK;
}
