// libpng reports errors with longjmp, which Swift cannot survive: call it only through CShims
// (Sources/Native/CShims), which wraps every libpng call in setjmp.
#include <png.h>
