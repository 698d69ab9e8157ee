/* A C shared library (libsamplec.so): ELF, not Rust at all. */
int sample_answer(void) { return 42; }
