// cairo draws the figures' PNG raster (anti-aliased lines, DejaVu Sans text through fontconfig).
#include <cairo.h>
