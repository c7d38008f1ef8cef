// See include/CShims.h. libpng's error handler longjmps back to the setjmp in the function that
// called libpng; nothing here ever longjmps into Swift.
#define _POSIX_C_SOURCE 200809L
#include "CShims.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

// MARK: - PNG

typedef struct {
    char *message;
    size_t message_size;
} shim_png_context;

static void set_message(char *message, size_t size, const char *text) {
    if (message == NULL || size == 0) return;
    snprintf(message, size, "%s", text ? text : "unknown error");
}

static void shim_png_error(png_structp png, png_const_charp text) {
    shim_png_context *context = (shim_png_context *)png_get_error_ptr(png);
    if (context) set_message(context->message, context->message_size, text);
    png_longjmp(png, 1);
}

static void shim_png_warning(png_structp png, png_const_charp text) {
    // Warnings (e.g. "iCCP: known incorrect sRGB profile") are not failures: stay quiet.
    (void)png; (void)text;
}

/// Opens `path` and checks the 8-byte signature. On success returns the FILE positioned after it.
static FILE *open_png(const char *path, int *code, char *message, size_t message_size) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        *code = CSHIM_PNG_CANNOT_OPEN;
        set_message(message, message_size, strerror(errno));
        return NULL;
    }
    unsigned char signature[8];
    size_t n = fread(signature, 1, 8, fp);
    if (n < 8 && ferror(fp)) {
        int e = errno;
        fclose(fp);
        *code = CSHIM_PNG_CANNOT_OPEN;
        set_message(message, message_size, strerror(e));
        return NULL;
    }
    if (n < 8 || png_sig_cmp(signature, 0, 8) != 0) {
        fclose(fp);
        *code = CSHIM_PNG_NOT_PNG;
        set_message(message, message_size, n == 0 ? "the file is empty" : "no PNG signature");
        return NULL;
    }
    *code = CSHIM_PNG_OK;
    return fp;
}

int cshim_png_read(const char *path, uint8_t **pixels, int *width, int *height, int *channels,
                   int *original_color_type, int *original_bit_depth, int keep_16_bits,
                   char *message, size_t message_size) {
    *pixels = NULL;
    int code;
    FILE *fp = open_png(path, &code, message, message_size);
    if (fp == NULL) return code;

    shim_png_context context = { message, message_size };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, shim_png_error, shim_png_warning);
    if (png == NULL) {
        fclose(fp);
        set_message(message, message_size, "out of memory");
        return CSHIM_PNG_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(fp);
        set_message(message, message_size, "out of memory");
        return CSHIM_PNG_NO_MEMORY;
    }

    // Written after setjmp and read after a longjmp: must be volatile.
    uint8_t *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    volatile int result = CSHIM_PNG_CORRUPT;

    if (setjmp(png_jmpbuf(png))) {
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return result;
    }

    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);

    png_uint_32 w = png_get_image_width(png, info);
    png_uint_32 h = png_get_image_height(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    int color_type = png_get_color_type(png, info);
    if (original_color_type) *original_color_type = color_type;
    if (original_bit_depth) *original_bit_depth = bit_depth;

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    int wide = bit_depth == 16 && keep_16_bits;
    if (bit_depth == 16 && !wide) png_set_scale_16(png);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (wide) png_set_swap(png);   // PNG stores 16-bit samples big-endian; the caller reads host order
#endif
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int out_channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    int out_bytes = wide ? 2 : 1;
    if ((out_channels != 1 && out_channels != 3) || png_get_bit_depth(png, info) != 8 * out_bytes
        || rowbytes != (size_t)w * (size_t)out_channels * (size_t)out_bytes) {
        set_message(message, message_size, "unexpected pixel layout after normalisation");
        png_longjmp(png, 1);
    }
    if (w > INT_MAX || h > INT_MAX || (h > 0 && rowbytes > SIZE_MAX / h)) {
        result = CSHIM_PNG_NO_MEMORY;
        set_message(message, message_size, "image too large");
        png_longjmp(png, 1);
    }
    buffer = (uint8_t *)malloc(rowbytes * h > 0 ? rowbytes * h : 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (h > 0 ? h : 1));
    if (buffer == NULL || rows == NULL) {
        result = CSHIM_PNG_NO_MEMORY;
        set_message(message, message_size, "out of memory");
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = buffer + (size_t)y * rowbytes;
    png_read_image(png, rows);
    // Not png_read_end: the pixels are complete; chunks after the image data do not matter here.

    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    *pixels = buffer;
    *width = (int)w;
    *height = (int)h;
    *channels = out_channels;
    return CSHIM_PNG_OK;
}

int cshim_png_read_size(const char *path, int *width, int *height, int *bit_depth, char *message, size_t message_size) {
    int code;
    FILE *fp = open_png(path, &code, message, message_size);
    if (fp == NULL) return code;
    shim_png_context context = { message, message_size };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, shim_png_error, shim_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(fp);
        set_message(message, message_size, "out of memory");
        return CSHIM_PNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return CSHIM_PNG_CORRUPT;
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info);
    png_uint_32 h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    if (w > INT_MAX || h > INT_MAX) {
        set_message(message, message_size, "image too large");
        return CSHIM_PNG_NO_MEMORY;
    }
    *width = (int)w;
    *height = (int)h;
    *bit_depth = depth;
    return CSHIM_PNG_OK;
}

int cshim_png_write(const char *path, const void *pixels, int width, int height, int channels, int bit_depth,
                    int compression_level, char *message, size_t message_size) {
    static const int color_types[5] = { -1, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                        PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4 || pixels == NULL || (bit_depth != 8 && bit_depth != 16)) {
        set_message(message, message_size, "width and height must be positive, channels 1 to 4, bit depth 8 or 16");
        return CSHIM_PNG_BAD_ARGUMENT;
    }
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        set_message(message, message_size, strerror(errno));
        return CSHIM_PNG_CANNOT_OPEN;
    }
    shim_png_context context = { message, message_size };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, shim_png_error, shim_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        fclose(fp);
        set_message(message, message_size, "out of memory");
        return CSHIM_PNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        return CSHIM_PNG_WRITE_FAILED;
    }
    png_init_io(png, fp);
    png_set_compression_level(png, compression_level < 0 ? 0 : (compression_level > 9 ? 9 : compression_level));
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bit_depth == 16) png_set_swap(png);   // host-order samples in, big-endian in the file
#endif
    size_t rowbytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)pixels + (size_t)y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);

    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
        int e = errno;
        fclose(fp);
        set_message(message, message_size, strerror(e));
        return CSHIM_PNG_WRITE_FAILED;
    }
    if (fclose(fp) != 0) {
        set_message(message, message_size, strerror(errno));
        return CSHIM_PNG_WRITE_FAILED;
    }
    return CSHIM_PNG_OK;
}

void cshim_free(void *pointer) { free(pointer); }

// MARK: - HDF5

int cshim_h5_silence_errors(void) {
    return (int)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct {
    char outer[256];
    char inner[256];
    char minor[128];
    int count;
} h5_walk_state;

static herr_t h5_walk(unsigned n, const H5E_error2_t *error, void *data) {
    h5_walk_state *state = (h5_walk_state *)data;
    (void)n;
    const char *desc = (error->desc && error->desc[0]) ? error->desc : error->func_name;
    if (state->count == 0) snprintf(state->outer, sizeof state->outer, "%s", desc ? desc : "");
    snprintf(state->inner, sizeof state->inner, "%s", desc ? desc : "");
    state->minor[0] = 0;
    H5Eget_msg(error->min_num, NULL, state->minor, sizeof state->minor);
    state->count++;
    return 0;
}

size_t cshim_h5_error_message(char *buffer, size_t size) {
    if (buffer == NULL || size == 0) return 0;
    buffer[0] = 0;
    h5_walk_state state;
    memset(&state, 0, sizeof state);
    hid_t stack = H5Eget_current_stack();   // takes the stack and clears the default one
    if (stack < 0) return 0;
    H5Ewalk2(stack, H5E_WALK_DOWNWARD, h5_walk, &state);
    H5Eclose_stack(stack);
    if (state.count == 0) return 0;
    int n;
    if (state.count == 1 || strcmp(state.outer, state.inner) == 0)
        n = snprintf(buffer, size, "%s", state.outer);
    else
        n = snprintf(buffer, size, "%s: %s", state.outer, state.inner);
    if (n >= 0 && (size_t)n < size && state.minor[0] && strstr(buffer, state.minor) == NULL)
        n += snprintf(buffer + n, size - (size_t)n, " (%s)", state.minor);
    if (n < 0) return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

int cshim_h5_object_kind(hid_t loc, const char *name) {
    hid_t object = H5Oopen(loc, name, H5P_DEFAULT);
    if (object < 0) return -1;
    H5I_type_t type = H5Iget_type(object);
    H5Oclose(object);
    if (type == H5I_GROUP) return 1;
    if (type == H5I_DATASET) return 2;
    return 0;
}
