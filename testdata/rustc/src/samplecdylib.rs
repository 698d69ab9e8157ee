//! A Rust cdylib (libsamplecdylib.so): an ELF shared object without a .rustc section.
#![no_std]

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[no_mangle]
pub extern "C" fn sample_answer() -> u32 {
    42
}
