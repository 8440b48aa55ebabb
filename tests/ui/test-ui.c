/* gimp-restore: the dialogs of ui/ driven without GIMP.
 *
 * A host made of the bundled sample (data/sample-damaged.png and its mask)
 * and the source tree's models shows each dialog under the X server the
 * test runs in (meson runs it in xvfb-run).  The host's preview_shown hook
 * acts as the user: it moves a slider, waits for the new preview, and
 * presses OK or Cancel.  The previews and the returned values are checked
 * against the core called directly.
 */
#include "config.h"

#include <string.h>

#include <gtk/gtk.h>

#include "restore-engine.h"
#include "restore-detect.h"
#include "ui-host.h"
#include "ui-models.h"
#include "restore-dialog.h"
#include "detect-dialog.h"

#define CROP 256

typedef struct
{
  UiHost        host;
  RestoreImage  image;    /* the sample, RGB float */
  float        *mask;     /* its damage */
  int           reads, progress_starts, shown;
  int           response; /* what the hook answers after the last step */
  double        denoise;  /* set by the hook on the first restore preview */
  gboolean      timed_out;
} TestHost;

static RestoreImage
load_rgb (const char *name)
{
  char         *path = g_test_build_filename (G_TEST_DIST, "..", "data", name, NULL);
  GError       *error = NULL;
  GdkPixbuf    *pb = gdk_pixbuf_new_from_file (path, &error);
  RestoreImage  im;

  g_assert_no_error (error);
  im.width = gdk_pixbuf_get_width (pb);
  im.height = gdk_pixbuf_get_height (pb);
  im.channels = 3;
  im.rowstride = (gsize) im.width * 3;
  im.data = g_new (float, im.rowstride * im.height);
  for (int y = 0; y < im.height; y++)
    for (int x = 0; x < im.width; x++)
      for (int c = 0; c < 3; c++)
        {
          const guchar *p = gdk_pixbuf_get_pixels (pb) + y * gdk_pixbuf_get_rowstride (pb)
                            + x * gdk_pixbuf_get_n_channels (pb);

          im.data[y * im.rowstride + x * 3 + c] = p[gdk_pixbuf_get_n_channels (pb) >= 3 ? c : 0] / 255.0f;
        }
  g_object_unref (pb);
  g_free (path);
  return im;
}

/* The crop the host hands out: CROP x CROP at a fixed place with damage. */
static UiRegion *
host_read_region (UiHost  *host,
                  int      margin,
                  int      max_side,
                  GError **error)
{
  TestHost *t = (TestHost *) host;
  UiRegion *r = g_new0 (UiRegion, 1);

  t->reads++;
  g_assert_cmpint (max_side, >=, CROP);
  r->x = 400;
  r->y = 250;
  r->width = r->height = CROP;
  r->image.width = r->image.height = CROP;
  r->image.channels = 3;
  r->image.rowstride = CROP * 3;
  r->image.data = g_new (float, CROP * CROP * 3);
  r->mask = g_new (float, CROP * CROP);
  for (int y = 0; y < CROP; y++)
    {
      memcpy (r->image.data + y * CROP * 3,
              t->image.data + (r->y + y) * t->image.rowstride + r->x * 3,
              sizeof (float) * CROP * 3);
      memcpy (r->mask + y * CROP, t->mask + (gsize) (r->y + y) * t->image.width + r->x,
              sizeof (float) * CROP);
    }
  return r;
}

static void
host_progress_start (UiHost     *host,
                     const char *text)
{
  ((TestHost *) host)->progress_starts++;
}

static void
host_progress_update (UiHost *host,
                      double  fraction)
{
}

static void
find_widgets (GtkWidget *widget,
              GType      type,
              GList    **found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    *found = g_list_append (*found, widget);
  if (GTK_IS_CONTAINER (widget))
    {
      GList *children = gtk_container_get_children (GTK_CONTAINER (widget));

      for (GList *l = children; l; l = l->next)
        find_widgets (l->data, type, found);
      g_list_free (children);
    }
}

/* The restore dialog: the first preview moves the first slider (denoise),
 * the second answers. */
static void
restore_shown (UiHost   *host,
               gpointer  dialog)
{
  TestHost *t = (TestHost *) host;

  t->shown++;
  if (t->shown == 1)
    {
      GList *spins = NULL;
      int    moved = 0;

      /* sliders for denoise, sharpen, grain and texture; denoise is the
       * one in the grid's second row (the model is the first) */
      find_widgets (dialog, GTK_TYPE_SPIN_BUTTON, &spins);
      g_assert_cmpint (g_list_length (spins), ==, 4);
      for (GList *l = spins; l; l = l->next)
        {
          int top = -1;

          gtk_container_child_get (GTK_CONTAINER (gtk_widget_get_parent (l->data)), l->data,
                                   "top-attach", &top, NULL);
          if (top == 1)
            {
              gtk_spin_button_set_value (l->data, t->denoise);
              moved++;
            }
        }
      g_assert_cmpint (moved, ==, 1);
      g_list_free (spins);
    }
  else
    gtk_dialog_response (dialog, t->response);
}

static void
detect_shown (UiHost   *host,
              gpointer  dialog)
{
  TestHost *t = (TestHost *) host;

  t->shown++;
  gtk_dialog_response (dialog, t->response);
}

static gboolean
watchdog (gpointer data)
{
  TestHost *t = data;
  GList    *top = gtk_window_list_toplevels ();

  t->timed_out = TRUE;
  for (GList *l = top; l; l = l->next)
    if (GTK_IS_DIALOG (l->data))
      gtk_dialog_response (l->data, GTK_RESPONSE_CANCEL);
  g_list_free (top);
  return G_SOURCE_REMOVE;
}

static void
test_host_init (TestHost *t)
{
  char            *weights = g_test_build_filename (G_TEST_DIST, "..", "weights", NULL);
  const char      *dirs[] = { weights, NULL };
  RestoreImage     mask;

  memset (t, 0, sizeof (*t));
  t->image = load_rgb ("sample-damaged.png");
  mask = load_rgb ("sample-mask.png");
  g_assert_cmpint (mask.width, ==, t->image.width);
  t->mask = g_new (float, (gsize) mask.width * mask.height);
  for (gsize i = 0; i < (gsize) mask.width * mask.height; i++)
    t->mask[i] = mask.data[i * 3];
  g_free (mask.data);
  t->host.read_region = host_read_region;
  t->host.progress_start = host_progress_start;
  t->host.progress_update = host_progress_update;
  t->host.registry = restore_registry_new (dirs);
  g_assert_cmpint (restore_registry_count (t->host.registry), >=, 1);
  g_free (weights);
}

static void
test_host_clear (TestHost *t)
{
  restore_registry_free ((RestoreRegistry *) t->host.registry);
  g_free (t->image.data);
  g_free (t->mask);
}

/* The "After" preview (the second GtkImage) against the core's own
 * restore of the same crop with the same models and values. */
static void
check_after_preview (GtkWidget    *after,
                     TestHost     *t,
                     RestoreModel *const *models,
                     int           n)
{
  UiRegion      *r = host_read_region (&t->host, 0, CROP, NULL);
  RestoreMask    mask = { r->mask, CROP, CROP, CROP };
  RestoreImage   out = r->image;
  RestoreOptions options;
  GError        *error = NULL;
  GdkPixbuf     *pb = gtk_image_get_pixbuf (GTK_IMAGE (after));
  int            differ = 0, changed = 0;

  t->reads--;
  g_assert_nonnull (pb);
  g_assert_cmpint (gdk_pixbuf_get_width (pb), ==, CROP);
  out.data = g_new (float, CROP * CROP * 3);
  restore_options_init (&options);
  options.denoise = t->denoise;
  g_assert_true (restore_run (models, n, &r->image, &mask, &out, &options, &error));
  g_assert_no_error (error);
  for (int y = 0; y < CROP; y++)
    for (int x = 0; x < CROP; x++)
      for (int c = 0; c < 3; c++)
        {
          guchar got = gdk_pixbuf_get_pixels (pb)[y * gdk_pixbuf_get_rowstride (pb) + x * 3 + c];
          float  v = out.data[(y * CROP + x) * 3 + c];
          float  v0 = r->image.data[(y * CROP + x) * 3 + c];
          int    want = (int) (CLAMP (v, 0.0f, 1.0f) * 255.0f + 0.5f);

          differ += ABS (got - want) > 1;
          changed += ABS (got - (int) (CLAMP (v0, 0.0f, 1.0f) * 255.0f + 0.5f)) > 8;
        }
  g_assert_cmpint (differ, ==, 0);
  /* the crop holds damage: the preview shows it filled */
  g_assert_cmpint (changed, >, 100);
  g_free (out.data);
  ui_region_free (r);
}

/* Shows the restore dialog with the host @t (its models cached in the
 * host), @shown acting as the user who answers @response after moving
 * denoise to @denoise; returns what the dialog returned. */
static gboolean
run_restore_dialog (TestHost          *t,
                    void             (*shown) (UiHost *, gpointer),
                    int                response,
                    double             denoise,
                    UiRestoreSettings *settings)
{
  gboolean ok;
  guint    dog;

  t->host.models = ui_models_new (t->host.registry);
  t->host.preview_shown = shown;
  t->response = response;
  t->denoise = denoise;
  ui_restore_settings_defaults (settings);
  dog = g_timeout_add_seconds (240, watchdog, t);
  ok = restore_dialog_run (&t->host, settings);
  g_source_remove (dog);
  g_assert_false (t->timed_out);
  g_assert_cmpint (t->shown, ==, 2);
  return ok;
}

static void
test_restore_dialog (void)
{
  TestHost             t;
  UiRestoreSettings    settings;
  RestoreModel *const *models;
  int                  n;

  test_host_init (&t);
  g_assert_true (run_restore_dialog (&t, restore_shown, GTK_RESPONSE_OK, 0.5, &settings));
  g_assert_cmpint (t.reads, ==, 1);
  g_assert_cmpfloat (settings.options.denoise, ==, 0.5);
  /* grain's slider returns its default, which the preview ran with */
  g_assert_cmpfloat (settings.options.grain, ==, restore_params[RESTORE_PARAM_GRAIN].def);
  g_assert_cmpstr (settings.model, ==, "");
  /* two previews of the automatic choice: its models loaded once */
  g_assert_cmpint (ui_models_loads (t.host.models), ==, 1);
  n = ui_models_get (t.host.models, "", &models, NULL, NULL);
  g_assert_cmpint (n, >=, 1);
  g_assert_cmpint (ui_models_loads (t.host.models), ==, 1);
  ui_models_free (t.host.models);
  test_host_clear (&t);
}

/* The same dialog, its preview after the slider moved checked against
 * the core; then Cancel. */
static void
restore_shown_check (UiHost   *host,
                     gpointer  dialog)
{
  TestHost *t = (TestHost *) host;

  if (t->shown == 1)
    {
      GList               *images = NULL;
      RestoreModel *const *models;
      int                  n = ui_models_get (t->host.models, "", &models, NULL, NULL);

      find_widgets (dialog, GTK_TYPE_IMAGE, &images);
      g_assert_cmpint (g_list_length (images), ==, 2);
      check_after_preview (g_list_nth_data (images, 1), t, models, n);
      g_list_free (images);
    }
  restore_shown (host, dialog);
}

static void
test_restore_preview (void)
{
  TestHost          t;
  UiRestoreSettings settings;

  test_host_init (&t);
  g_assert_false (run_restore_dialog (&t, restore_shown_check, GTK_RESPONSE_CANCEL, 0.3,
                                      &settings));
  /* cancelled: the start values come back as they were */
  g_assert_cmpfloat (settings.options.denoise, ==, 0.0);
  ui_models_free (t.host.models);
  test_host_clear (&t);
}

static void
test_detect_dialog (gconstpointer data)
{
  gboolean             ok_pressed = GPOINTER_TO_INT (data);
  TestHost             t;
  UiDetectSettings     settings, defaults;
  RestoreDetectOptions options;
  RestoreModel        *detector;
  GError              *error = NULL;
  float               *prob = NULL, *want;
  gsize                n;
  guint                dog;
  gboolean             ok;

  test_host_init (&t);
  detector = restore_registry_load_detector (t.host.registry, NULL, &error);
  g_assert_no_error (error);
  t.host.preview_shown = detect_shown;
  t.response = ok_pressed ? GTK_RESPONSE_OK : GTK_RESPONSE_CANCEL;
  ui_detect_settings_defaults (&settings);
  defaults = settings;
  dog = g_timeout_add_seconds (240, watchdog, &t);
  ok = detect_dialog_run (&t.host, &t.image, detector, &settings, &prob);
  g_source_remove (dog);
  g_assert_false (t.timed_out);
  g_assert_cmpint (t.shown, ==, 1);
  g_assert_true (memcmp (&settings, &defaults, sizeof (settings)) == 0);
  if (! ok_pressed)
    {
      g_assert_false (ok);
      g_assert_null (prob);
    }
  else
    {
      g_assert_true (ok);
      /* the pass had finished before OK: handed over, no progress bar */
      g_assert_nonnull (prob);
      g_assert_cmpint (t.progress_starts, ==, 0);
      n = (gsize) t.image.width * t.image.height;
      want = g_new (float, n);
      ui_detect_settings_to_options (&settings, &options);
      g_assert_true (restore_detect_probability (detector, &t.image, want, &options, &error));
      g_assert_no_error (error);
      for (gsize i = 0; i < n; i++)
        g_assert_cmpfloat_with_epsilon (prob[i], want[i], 1e-5);
      g_free (want);
    }
  g_free (prob);
  restore_model_free (detector);
  test_host_clear (&t);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (! gtk_init_check (&argc, &argv))
    {
      g_printerr ("test-ui: no display (run it under xvfb-run)\n");
      return 1;
    }
  g_test_add_func ("/ui/restore-dialog", test_restore_dialog);
  g_test_add_func ("/ui/restore-preview", test_restore_preview);
  g_test_add_data_func ("/ui/detect-dialog/ok", GINT_TO_POINTER (TRUE), test_detect_dialog);
  g_test_add_data_func ("/ui/detect-dialog/cancel", GINT_TO_POINTER (FALSE), test_detect_dialog);
  return g_test_run ();
}
