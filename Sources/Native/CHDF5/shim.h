// HDF5 (Debian's serial build: headers in /usr/include/hdf5/serial, found through pkg-config
// hdf5-serial). Most constants are macros Swift cannot import: CShims re-exports them as functions.
#include <hdf5.h>
