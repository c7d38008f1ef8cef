// TIFF through libtiff (see include/CShims.h). libtiff reports errors through handlers; the ones here write
// the first message of a call into the caller's buffer and stay quiet on stderr. Every allocation is checked
// against the image's size before it is made, and libtiff's own are capped (TIFFOpenOptionsSetMaxSingleMemAlloc),
// so a corrupt size fails instead of allocating.
#define _POSIX_C_SOURCE 200809L
#include "CShims.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tiffio.h>

typedef struct {
    char *message;
    size_t size;
    int failed;
} tiff_context;

static void say(tiff_context *c, const char *format, ...) {
    if (c->message == NULL || c->size == 0) return;
    va_list ap;
    va_start(ap, format);
    vsnprintf(c->message, c->size, format, ap);
    va_end(ap);
}

static int tiff_error(TIFF *tif, void *user, const char *module, const char *format, va_list ap) {
    (void)tif; (void)module;
    tiff_context *c = (tiff_context *)user;
    if (c != NULL && !c->failed && c->message != NULL && c->size > 0) vsnprintf(c->message, c->size, format, ap);
    if (c != NULL) c->failed = 1;
    return 1;   // handled: nothing on stderr
}

static int tiff_warning(TIFF *tif, void *user, const char *module, const char *format, va_list ap) {
    (void)tif; (void)user; (void)module; (void)format; (void)ap;
    return 1;   // unknown tags and the like are not failures
}

/// Largest single allocation libtiff may make for one file (strip and tile buffers, tag arrays).
static const tmsize_t max_allocation = (tmsize_t)1 << 30;
/// Largest image read: 2³¹ samples (8 GiB as floats).
static const uint64_t max_samples = (uint64_t)1 << 31;

static TIFFOpenOptions *options(tiff_context *c) {
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (o == NULL) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(o, tiff_error, c);
    TIFFOpenOptionsSetWarningHandlerExtR(o, tiff_warning, c);
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, max_allocation);
    return o;
}

static TIFF *open_for_reading(const char *path, tiff_context *c, int *code) {
    FILE *probe = fopen(path, "rb");   // for errno's reason (missing, permissions) before libtiff's own words
    if (probe == NULL) {
        say(c, "%s", strerror(errno));
        *code = CSHIM_PNG_CANNOT_OPEN;
        return NULL;
    }
    fclose(probe);
    TIFFOpenOptions *o = options(c);
    if (o == NULL) {
        say(c, "out of memory");
        *code = CSHIM_PNG_NO_MEMORY;
        return NULL;
    }
    TIFF *tif = TIFFOpenExt(path, "r", o);
    TIFFOpenOptionsFree(o);
    if (tif == NULL) {
        if (!c->failed) say(c, "not a readable TIFF");
        *code = CSHIM_PNG_CORRUPT;
    }
    return tif;
}

int cshim_tiff_read_size(const char *path, int *width, int *height, int *bit_depth, char *message, size_t message_size) {
    tiff_context c = { message, message_size, 0 };
    int code = CSHIM_PNG_OK;
    TIFF *tif = open_for_reading(path, &c, &code);
    if (tif == NULL) return code;
    uint32_t w = 0, h = 0;
    uint16_t bps = 1;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h) || w == 0 || h == 0
        || w > INT32_MAX || h > INT32_MAX) {
        say(&c, "has no valid image size");
        TIFFClose(tif);
        return CSHIM_PNG_CORRUPT;
    }
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFClose(tif);
    *width = (int)w;
    *height = (int)h;
    *bit_depth = bps;
    return CSHIM_PNG_OK;
}

/// Sample `s` of pixel `i` of an interleaved buffer of `spp` samples a pixel, `bytes` bytes a sample.
static inline uint16_t sample_at(const uint8_t *buffer, size_t i, size_t spp, size_t s, size_t bytes) {
    size_t k = i * spp + s;
    return bytes == 2 ? ((const uint16_t *)buffer)[k] : buffer[k];
}

static inline void store(void *out, size_t k, size_t bytes, uint16_t v) {
    if (bytes == 2) ((uint16_t *)out)[k] = v; else ((uint8_t *)out)[k] = (uint8_t)v;
}

int cshim_tiff_read(const char *path, void **pixels, int *width, int *height, int *channels, int *bit_depth,
                    char *message, size_t message_size) {
    *pixels = NULL;
    tiff_context c = { message, message_size, 0 };
    int code = CSHIM_PNG_OK;
    TIFF *tif = open_for_reading(path, &c, &code);
    if (tif == NULL) return code;

    int result = CSHIM_PNG_CORRUPT;
    void *out = NULL;
    uint8_t *buffer = NULL;
    uint32_t *raster = NULL;
    uint32_t w = 0, h = 0;
    uint16_t spp = 1, bps = 1, photometric = 0, planar = PLANARCONFIG_CONTIG, format = SAMPLEFORMAT_UINT;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h) || w == 0 || h == 0
        || w > INT32_MAX || h > INT32_MAX) {
        say(&c, "has no valid image size");
        goto done;
    }
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric)) {
        photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    }
    if (format != SAMPLEFORMAT_UINT) {
        say(&c, "has %s samples: only unsigned 8- and 16-bit TIFFs are read (convert it, e.g. to 16-bit unsigned)",
            format == SAMPLEFORMAT_IEEEFP ? "floating-point" : format == SAMPLEFORMAT_INT ? "signed integer" : "non-integer");
        result = CSHIM_UNSUPPORTED;
        goto done;
    }
    if (spp < 1 || spp > 16) {
        say(&c, "has %u samples per pixel", (unsigned)spp);
        goto done;
    }
    int gray = photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE;
    int rgb = photometric == PHOTOMETRIC_RGB && spp >= 3;
    size_t out_channels = gray ? 1 : 3;
    if ((uint64_t)w * h * out_channels > max_samples) {
        say(&c, "is too large (%u×%u)", (unsigned)w, (unsigned)h);
        result = CSHIM_PNG_NO_MEMORY;
        goto done;
    }
    size_t pixel_count = (size_t)w * h;
    int tiled = TIFFIsTiled(tif);
    // The pixel data must be in the file: the strips' (tiles') stored bytes, times the most a TIFF compression
    // expands (65536: beyond deflate's 1032, LZW's ≈ 1400 and a fax-coded blank page's), must cover the image,
    // else a few corrupt header bytes would size the allocations below.
    uint64_t *counts = NULL;
    uint64_t stored = 0;
    uint16_t compression = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    uint32_t pieces = tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
    if (TIFFGetField(tif, tiled ? TIFFTAG_TILEBYTECOUNTS : TIFFTAG_STRIPBYTECOUNTS, &counts) && counts != NULL) {
        for (uint32_t k = 0; k < pieces; k++) stored += counts[k];
    }
    uint64_t needed = ((uint64_t)pixel_count * spp * bps + 7) / 8;   // ≤ 2³¹ · 16 · 65535 bits: no overflow
    uint64_t expansion = compression == COMPRESSION_NONE ? 1 : 65536;
    if (stored < (needed + expansion - 1) / expansion) {
        say(&c, "is truncated: its %u×%u image needs more pixel data than the file holds", (unsigned)w, (unsigned)h);
        goto done;
    }
    int direct = (bps == 8 || bps == 16) && (gray || rgb) && (planar == PLANARCONFIG_CONTIG || !tiled);

    if (direct) {
        size_t bytes = bps / 8;
        out = malloc(pixel_count * out_channels * bytes);
        if (out == NULL) { say(&c, "out of memory"); result = CSHIM_PNG_NO_MEMORY; goto done; }
        if (tiled) {
            uint32_t tw = 0, th = 0;
            TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
            TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
            tmsize_t size = TIFFTileSize(tif);
            if (tw == 0 || th == 0 || size <= 0 || (uint64_t)size < (uint64_t)tw * th * spp * bytes) {
                if (!c.failed) say(&c, "has inconsistent tiles");
                goto done;
            }
            buffer = (uint8_t *)malloc((size_t)size);
            if (buffer == NULL) { say(&c, "out of memory"); result = CSHIM_PNG_NO_MEMORY; goto done; }
            for (uint32_t y = 0; y < h; y += th) {
                for (uint32_t x = 0; x < w; x += tw) {
                    if (TIFFReadTile(tif, buffer, x, y, 0, 0) < 0) goto done;
                    for (uint32_t ty = 0; ty < th && y + ty < h; ty++) {
                        for (uint32_t tx = 0; tx < tw && x + tx < w; tx++) {
                            size_t i = (size_t)(y + ty) * w + x + tx;
                            for (size_t s = 0; s < out_channels; s++) {
                                store(out, i * out_channels + s, bytes, sample_at(buffer, (size_t)ty * tw + tx, spp, s, bytes));
                            }
                        }
                    }
                }
            }
        } else {
            tmsize_t size = TIFFScanlineSize(tif);
            size_t needed = (size_t)w * bytes * (planar == PLANARCONFIG_CONTIG ? spp : 1);
            if (size <= 0 || (size_t)size < needed) {
                if (!c.failed) say(&c, "has inconsistent scanlines");
                goto done;
            }
            buffer = (uint8_t *)malloc((size_t)size);
            if (buffer == NULL) { say(&c, "out of memory"); result = CSHIM_PNG_NO_MEMORY; goto done; }
            if (planar == PLANARCONFIG_CONTIG) {
                for (uint32_t y = 0; y < h; y++) {
                    if (TIFFReadScanline(tif, buffer, y, 0) < 0) goto done;
                    for (uint32_t x = 0; x < w; x++) {
                        for (size_t s = 0; s < out_channels; s++) {
                            store(out, ((size_t)y * w + x) * out_channels + s, bytes, sample_at(buffer, x, spp, s, bytes));
                        }
                    }
                }
            } else {
                for (size_t s = 0; s < out_channels; s++) {
                    for (uint32_t y = 0; y < h; y++) {
                        if (TIFFReadScanline(tif, buffer, y, (uint16_t)s) < 0) goto done;
                        for (uint32_t x = 0; x < w; x++) {
                            store(out, ((size_t)y * w + x) * out_channels + s, bytes, sample_at(buffer, x, 1, 0, bytes));
                        }
                    }
                }
            }
        }
        if (photometric == PHOTOMETRIC_MINISWHITE) {
            uint16_t top = bytes == 2 ? 65535 : 255;
            for (size_t k = 0; k < pixel_count; k++) {
                store(out, k, bytes, (uint16_t)(top - (bytes == 2 ? ((uint16_t *)out)[k] : ((uint8_t *)out)[k])));
            }
        }
        *bit_depth = bps;
    } else if (bps <= 8) {
        // Palette, bilevel, YCbCr, CMYK, JPEG-in-TIFF, …: libtiff's RGBA reader (8 bits a sample).
        raster = (uint32_t *)malloc(pixel_count * sizeof(uint32_t));
        if (raster == NULL) { say(&c, "out of memory"); result = CSHIM_PNG_NO_MEMORY; goto done; }
        if (!TIFFReadRGBAImageOriented(tif, w, h, raster, ORIENTATION_TOPLEFT, 0)) {
            if (!c.failed) say(&c, "could not be decoded");
            goto done;
        }
        out = malloc(pixel_count * out_channels);
        if (out == NULL) { say(&c, "out of memory"); result = CSHIM_PNG_NO_MEMORY; goto done; }
        uint8_t *o = (uint8_t *)out;
        for (size_t i = 0; i < pixel_count; i++) {
            uint32_t p = raster[i];
            if (gray) {
                o[i] = (uint8_t)TIFFGetR(p);
            } else {
                o[3 * i] = (uint8_t)TIFFGetR(p);
                o[3 * i + 1] = (uint8_t)TIFFGetG(p);
                o[3 * i + 2] = (uint8_t)TIFFGetB(p);
            }
        }
        *bit_depth = 8;
    } else {
        say(&c, "has %u-bit samples of a kind this reader does not take (photometric %u, %u samples%s): convert it "
            "to an 8- or 16-bit gray or RGB TIFF", (unsigned)bps, (unsigned)photometric, (unsigned)spp,
            tiled && planar != PLANARCONFIG_CONTIG ? ", tiled in separate planes" : "");
        result = CSHIM_UNSUPPORTED;
        goto done;
    }
    result = CSHIM_PNG_OK;
    *pixels = out;
    out = NULL;
    *width = (int)w;
    *height = (int)h;
    *channels = (int)out_channels;

done:
    free(out);
    free(buffer);
    free(raster);
    TIFFClose(tif);
    return result;
}

int cshim_tiff_write(const char *path, const void *pixels, int width, int height, int channels, int bit_depth,
                     char *message, size_t message_size) {
    tiff_context c = { message, message_size, 0 };
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3) || (bit_depth != 8 && bit_depth != 16)
        || pixels == NULL) {
        say(&c, "width and height must be positive, channels 1 or 3, bit depth 8 or 16");
        return CSHIM_PNG_BAD_ARGUMENT;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        say(&c, "%s", strerror(errno));
        return CSHIM_PNG_CANNOT_OPEN;
    }
    TIFFOpenOptions *o = options(&c);
    TIFF *tif = o ? TIFFFdOpenExt(fd, path, "w", o) : NULL;
    if (o) TIFFOpenOptionsFree(o);
    if (tif == NULL) {
        close(fd);
        if (!c.failed) say(&c, "libtiff could not start writing");
        return CSHIM_PNG_WRITE_FAILED;
    }
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)height);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)channels);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)bit_depth);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, channels == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(tif, 0));
    size_t rowbytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    // libtiff's predictor differences the row in place: hand it a copy.
    uint8_t *row = (uint8_t *)malloc(rowbytes);
    int ok = row != NULL;
    for (int y = 0; ok && y < height; y++) {
        memcpy(row, (const uint8_t *)pixels + (size_t)y * rowbytes, rowbytes);
        ok = TIFFWriteScanline(tif, row, (uint32_t)y, 0) >= 0;
    }
    int no_memory = row == NULL;
    free(row);
    ok = ok && TIFFFlush(tif) == 1 && !c.failed;
    int e = ok && fsync(fd) != 0 ? errno : 0;
    TIFFClose(tif);   // closes fd
    if (!ok || e != 0) {
        if (e != 0) say(&c, "%s", strerror(e)); else if (!c.failed) say(&c, no_memory ? "out of memory" : "libtiff could not write it");
        return CSHIM_PNG_WRITE_FAILED;
    }
    return CSHIM_PNG_OK;
}
