// TurboJPEG 2.x API (tjDecompress2, tjGetErrorCode); turbojpeg.h needs size_t from stddef.h.
#include <stddef.h>
#include <turbojpeg.h>
