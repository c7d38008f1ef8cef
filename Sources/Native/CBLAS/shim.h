#include <cblas.h>
#include <stddef.h>

// LAPACK's symmetric eigen-decomposition (divide and conquer), which libopenblas exports (built from the
// Fortran reference; Debian ships no LAPACKE header for it). The two trailing lengths are the hidden
// lengths of the character arguments that gfortran's calling convention passes.
// QR: the Householder factorisation and the explicit Q (orthogonal weight initialisation).
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work, const int *lwork,
             int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau, double *work,
             const int *lwork, int *info);

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t uplo_length);
