/* Stands in for rust/helpers/helpers.o and for C shared objects that are not proc macros. */
int rust_helper_answer(void) { return 42; }
