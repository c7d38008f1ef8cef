// C that must hold control for Swift:
//  - libpng reports errors with longjmp, which Swift cannot survive, so every libpng call happens here
//    inside setjmp and comes back as an error code plus a message;
//  - HDF5's constants are macros Swift cannot import (or imports with the wrong type), so they are
//    re-exported as static inline functions.
#ifndef CYCLEGAN_CSHIMS_H
#define CYCLEGAN_CSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <hdf5.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - PNG

/// Result codes of the PNG functions. On failure `message` holds a one-line reason (NUL-terminated).
#define CSHIM_PNG_OK 0
#define CSHIM_PNG_CANNOT_OPEN 1   /* fopen/fread failed: message is strerror(errno) */
#define CSHIM_PNG_NOT_PNG 2       /* no PNG signature (includes empty files) */
#define CSHIM_PNG_CORRUPT 3       /* libpng error while reading: truncated or corrupt; message is libpng's */
#define CSHIM_PNG_NO_MEMORY 4     /* allocation failed or the image is too large */
#define CSHIM_PNG_WRITE_FAILED 5  /* libpng or the OS failed while writing: message says why */
#define CSHIM_PNG_BAD_ARGUMENT 6  /* invalid width, height or channel count */
#define CSHIM_UNSUPPORTED 7       /* a valid file of a kind this reader does not take: message says which and what to do */

/// Reads a PNG as interleaved 8-bit samples, normalised to 1 (gray) or 3 (RGB) channels:
/// palette expanded to RGB, gray of 1/2/4 bits expanded to 8, 16 bits scaled to 8 with rounding
/// (png_set_scale_16), alpha and tRNS dropped (not composited), interlacing undone. No gamma change.
/// On success `*pixels` is a malloc'ed buffer of width*height*channels bytes: free it with cshim_free.
/// `original_color_type` and `original_bit_depth` (may be NULL) receive the IHDR values.
/// With `keep_16_bits`, 16-bit images keep their 16 bits instead: 2 bytes a sample in host byte order
/// (`*original_bit_depth` 16 says so).
int cshim_png_read(const char *path, uint8_t **pixels, int *width, int *height, int *channels,
                   int *original_color_type, int *original_bit_depth, int keep_16_bits,
                   char *message, size_t message_size);

/// Reads only the PNG header (IHDR): width, height and bit depth.
int cshim_png_read_size(const char *path, int *width, int *height, int *bit_depth, char *message, size_t message_size);

/// Writes interleaved samples (channels 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; `bit_depth` 8, or 16 as uint16_t
/// in host byte order) as a PNG at `path` (created or truncated), with zlib `compression_level` (0-9).
/// Flushes and fsyncs before closing. On failure the partly written file is left for the caller to remove.
int cshim_png_write(const char *path, const void *pixels, int width, int height, int channels, int bit_depth,
                    int compression_level, char *message, size_t message_size);

// MARK: - TIFF (libtiff)

/// Reads the first image of a TIFF as interleaved samples, 1 (gray) or 3 (RGB) channels, 8 or 16 bits
/// (`*bit_depth`; 16-bit samples as uint16_t in host order). Read directly: strips or tiles of unsigned 8- or
/// 16-bit gray (min-is-black or min-is-white, inverted) or RGB, contiguous or (strips) planar, alpha and
/// other extra samples dropped. Anything else of at most 8 bits a sample (palette, bilevel, YCbCr, CMYK,
/// JPEG-compressed, …) through libtiff's RGBA reader, as 8-bit RGB (gray when the file is gray). Refused with
/// a message: floating-point and other sample formats, deeper samples, images over 2³¹ samples.
/// Errors use the CSHIM_PNG_* codes; `*pixels` is malloc'ed: free it with cshim_free.
int cshim_tiff_read(const char *path, void **pixels, int *width, int *height, int *channels, int *bit_depth,
                    char *message, size_t message_size);

/// The first image's width, height and bits per sample, without reading its pixels.
int cshim_tiff_read_size(const char *path, int *width, int *height, int *bit_depth, char *message, size_t message_size);

/// Writes interleaved 8- or 16-bit (host order) gray or RGB samples as a TIFF (LZW with horizontal
/// differencing, one strip per 64 KiB or so); flushes and fsyncs before closing.
int cshim_tiff_write(const char *path, const void *pixels, int width, int height, int channels, int bit_depth,
                     char *message, size_t message_size);

/// free() for buffers returned by this shim.
void cshim_free(void *pointer);

// MARK: - HDF5 constants (macros in hdf5.h)

static inline hid_t cshim_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t cshim_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline hid_t cshim_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned cshim_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned cshim_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned cshim_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned cshim_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline size_t cshim_H5T_VARIABLE(void) { return H5T_VARIABLE; }

static inline hid_t cshim_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t cshim_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t cshim_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t cshim_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t cshim_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t cshim_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t cshim_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t cshim_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t cshim_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }

static inline hid_t cshim_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t cshim_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t cshim_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t cshim_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }

// MARK: - HDF5 helpers

/// Turns off HDF5's printing of error stacks (H5Eset_auto2(H5E_DEFAULT, NULL, NULL)). Returns < 0 on failure.
int cshim_h5_silence_errors(void);

/// Describes the current default error stack in one line ("<outermost>: <innermost> (<minor>)") into
/// `buffer`, then clears the stack. Returns the length written (0 when the stack is empty).
size_t cshim_h5_error_message(char *buffer, size_t size);

/// What `name` (relative to `loc`) is: 1 group, 2 dataset, 0 another object (e.g. a named datatype),
/// -1 when it cannot be opened.
int cshim_h5_object_kind(hid_t loc, const char *name);

#ifdef __cplusplus
}
#endif

#endif
