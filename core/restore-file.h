/* gimp-restore: model files.
 *
 * A model file ("GRST", version 1) holds a trained network: key/value
 * metadata and a table of named float32 tensors.  The same container also
 * stores the parity test vectors the exporter writes (architecture
 * "test-vector").  The loader trusts nothing in the file.
 *
 * Byte layout.  All integers are little-endian; offsets are in bytes.
 *
 *   offset  size  field
 *   0       4     magic "GRST"
 *   4       4     u32 version                       (this loader reads 1..1)
 *   8       4     u32 alignment of tensor data      (power of two, 8..4096)
 *   12      4     u32 n_kv                          (0..RESTORE_MODEL_MAX_KV)
 *   16      4     u32 n_tensors                     (0..RESTORE_MODEL_MAX_TENSORS)
 *   20      4     u32 reserved, 0
 *   24      8     u64 data_offset: start of the tensor data block, a multiple
 *                 of alignment, after the end of the tensor table
 *   32      8     u64 data_size: bytes in the tensor data block
 *   40      ...   n_kv metadata entries, each:
 *                   u16 key_len (1..255), key_len bytes of key ([a-z0-9_.])
 *                   u8  type: 1 = u32, 2 = f32, 3 = string, 4 = u32 array
 *                   value: u32 | f32 |
 *                          u32 len (0..65536) + len bytes of UTF-8 (no NUL) |
 *                          u32 count (0..64) + count * u32
 *                 keys are unique
 *           ...   n_tensors tensor entries, each:
 *                   u16 name_len (1..255), name_len bytes of name ([a-z0-9_.])
 *                   u32 n_dims (1..4), n_dims * u32 dims (each 1..65536),
 *                       outermost first (a conv weight is [C_out, C_in, kH, kW])
 *                   u32 dtype: 0 = f32 (the only one in version 1)
 *                   u64 offset of the data, relative to data_offset, a
 *                       multiple of alignment
 *                 names are unique; tensors lie inside the data block and
 *                 do not overlap
 *           ...   zero bytes up to data_offset
 *   data_offset   data_size bytes of tensor data (f32 little-endian, row-major)
 *   end - 32      32 bytes: SHA-256 of every byte before it
 *
 * The file length is exactly data_offset + data_size + 32.
 *
 * Metadata of a "unet" model (the network is defined in restore-unet.h):
 *   general.architecture  string  "unet"
 *   general.name          string  short name used by --model and the PDB ("scratch")
 *   general.description   string  one line shown by --list-models and the dialog
 *   general.license       string
 *   general.training      string  one-line training summary (data, steps, loss)
 *   unet.in_channels      u32     4 (R, G, B, mask); 3 (R, G, B) for a detector
 *   unet.out_channels     u32     3; 1 (defect probability) for a detector
 *   unet.channels         u32[]   feature channels per level, depth + 1 entries
 *   unet.dilations        u32[]   dilations of the bottleneck convs (may be empty)
 *   unet.gated            u32     0 plain convolutions, 1 gated convolutions
 *   unet.activation       string  "relu", "leaky_relu" (slope 0.2) or "elu"
 *   unet.residual         u32     1: output adds the normalised input RGB
 *   unet.receptive_field  u32     pixels of context a tile needs on each side
 *   unet.prefill          string  optional: "none" (default), "pushpull" or
 *                                 "harmonic": the network's RGB input is
 *                                 first filled by restore_fill_push_pull()
 *                                 with weight 1 - m (0 sweeps, or
 *                                 RESTORE_HARMONIC_SWEEPS for "harmonic"),
 *                                 and the residual adds that filled input
 *   unet.prefill_sweeps   u32     optional, "harmonic" only: relaxation
 *                                 sweeps per pyramid level, 1..64 (default
 *                                 RESTORE_HARMONIC_SWEEPS = 8)
 *   unet.output           string  optional: "none" (default) or "sigmoid": the
 *                                 output passes through 1 / (1 + exp (-y));
 *                                 detectors must have "sigmoid", inpainting
 *                                 models "none"
 *   norm.scale, norm.offset f32   network value = pixel * scale + offset
 *   restore.max_radius    f32     optional: the largest defect half-width in
 *                                 pixels this model is meant for (the
 *                                 automatic choice uses it)
 *   restore.flips         u32     optional: 1 (default), 2 or 4: a restore
 *                                 runs the network on each tile and on
 *                                 that many - 1 mirror images of it and
 *                                 averages (restore_model_forward_flipped)
 *   restore.flips_radius  f32     optional, >= 0: only on tiles with a
 *                                 defect of a larger half-width (0 or
 *                                 unset: on every tile)
 *   restore.task          string  optional: "inpaint" (default: RGB + mask in,
 *                                 restored RGB out) or "detect" (a damage
 *                                 detector, restore-detect.h: in_channels 3,
 *                                 out_channels 1, unet.output "sigmoid",
 *                                 unet.residual 0, unet.prefill "none").
 *                                 The registry keeps detectors out of the
 *                                 list of restoration models.
 *
 * A test vector file has general.architecture "test-vector", the string
 * vector.model (the model's general.name) and the tensors "input"
 * [1, C_in, H, W] and "output" [1, C_out, H, W] (network values, before
 * clamping; after the sigmoid for a detector).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RESTORE_MODEL_MAGIC        "GRST"
#define RESTORE_MODEL_VERSION_MIN  1
#define RESTORE_MODEL_VERSION_MAX  1
#define RESTORE_MODEL_MAX_KV       4096
#define RESTORE_MODEL_MAX_TENSORS  4096
#define RESTORE_MODEL_MAX_DIMS     4
#define RESTORE_MODEL_DIM_MAX      65536
#define RESTORE_MODEL_SUFFIX       ".grst"

#define RESTORE_MODEL_ERROR (restore_model_error_quark ())
GQuark restore_model_error_quark (void);

typedef enum
{
  RESTORE_MODEL_ERROR_IO,        /* cannot read the file */
  RESTORE_MODEL_ERROR_FORMAT,    /* malformed container */
  RESTORE_MODEL_ERROR_VERSION,   /* version outside the supported range */
  RESTORE_MODEL_ERROR_CHECKSUM,  /* SHA-256 mismatch */
  RESTORE_MODEL_ERROR_METADATA,  /* missing or wrong metadata */
  RESTORE_MODEL_ERROR_TENSOR,    /* missing tensor or wrong shape */
  RESTORE_MODEL_ERROR_COUNT
} RestoreModelError;

/* Sets @error (RESTORE_MODEL_ERROR, @code) to the printf-style message;
 * returns FALSE, so a check can end with "return restore_model_error
 * (...)". */
gboolean restore_model_error (GError           **error,
                              RestoreModelError  code,
                              const char        *format,
                              ...) G_GNUC_PRINTF (3, 4);

typedef enum
{
  RESTORE_VALUE_U32       = 1,
  RESTORE_VALUE_F32       = 2,
  RESTORE_VALUE_STRING    = 3,
  RESTORE_VALUE_U32_ARRAY = 4
} RestoreValueType;

/* A parsed container: metadata and tensors, validated for structure only. */
typedef struct _RestoreFile RestoreFile;

typedef struct
{
  const char  *name;
  int          n_dims;
  guint32      dims[RESTORE_MODEL_MAX_DIMS];
  const float *data;       /* aligned, owned by the RestoreFile */
  gsize        n_elements;
} RestoreTensor;

/**
 * restore_file_load_from_data:
 * @data: the whole file, copied by the call
 * Parses and validates the container (magic, version, sizes, offsets,
 * checksum).  Returns a new RestoreFile, free with restore_file_free(), or
 * NULL with @error set in RESTORE_MODEL_ERROR naming what is wrong.
 */
RestoreFile         *restore_file_load_from_data (const guint8 *data,
                                                  gsize         size,
                                                  GError      **error);
RestoreFile         *restore_file_load           (const char   *path,
                                                  GError      **error);
void                 restore_file_free           (RestoreFile  *file);

const RestoreTensor *restore_file_get_tensor     (const RestoreFile *file,
                                                  const char        *name);
gboolean             restore_file_get_u32        (const RestoreFile *file,
                                                  const char        *key,
                                                  guint32           *value);
gboolean             restore_file_get_f32        (const RestoreFile *file,
                                                  const char        *key,
                                                  float             *value);
const char          *restore_file_get_string     (const RestoreFile *file,
                                                  const char        *key);
/* Tensors in file order (additive): index < restore_file_get_n_tensors (). */
guint                restore_file_get_n_tensors  (const RestoreFile *file);
const RestoreTensor *restore_file_get_tensor_nth (const RestoreFile *file,
                                                  guint              index);
/* TRUE when the metadata holds @key, whatever its type (additive). */
gboolean             restore_file_has_key        (const RestoreFile *file,
                                                  const char        *key);
/* Returns the array and sets *count, or NULL when the key is absent or not a u32 array. */
const guint32       *restore_file_get_u32_array  (const RestoreFile *file,
                                                  const char        *key,
                                                  guint32           *count);

G_END_DECLS
