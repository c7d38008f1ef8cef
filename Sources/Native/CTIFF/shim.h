// libtiff's field access is variadic (TIFFGetField), which Swift cannot call: use it only through CShims
// (Sources/Native/CShims/tiff.c).
#include <tiffio.h>
