//! The plugin side of the ABI envelope: any bytes handed to a plugin's
//! `process` as its input (what a host, or a faulty plugin before it, could
//! send) give a status and a buffer, never a crash; an OK status always
//! carries an `akhbar.v1.Article`, any other a message; the buffer goes back
//! to `free_buffer`.
#![no_main]

use std::ffi::c_void;

use akhbar_plugin_scraped_page::ScrapedPage;
use akhbar_plugin_sdk::__private::{create, destroy, free_buffer, process_normalizer};
use akhbar_plugin_sdk::ffi::{
    AkhbarBuffer, STATUS_ERROR, STATUS_OK, STATUS_PANIC, STATUS_REJECTED,
};
use akhbar_plugin_sdk::proto::Article;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let config = br#"{"learn": {"enabled": false}}"#;
    let mut instance: *mut c_void = std::ptr::null_mut();
    let mut error = AkhbarBuffer::empty();
    // SAFETY: valid config slice and out-pointers, as akhbar_plugin.h asks.
    let status =
        unsafe { create::<ScrapedPage>(config.as_ptr(), config.len(), &mut instance, &mut error) };
    assert_eq!(status, STATUS_OK);
    // SAFETY: the buffer came from this plugin's `create`.
    unsafe { free_buffer(error) };
    let mut output = AkhbarBuffer::empty();
    // SAFETY: `instance` is alive, `data` is valid for its length, `output`
    // is a valid out-pointer.
    let status = unsafe {
        process_normalizer::<ScrapedPage>(instance, data.as_ptr(), data.len(), &mut output)
    };
    let bytes = if output.ptr.is_null() {
        Vec::new()
    } else {
        // SAFETY: the plugin filled `len` bytes at `ptr`.
        unsafe { std::slice::from_raw_parts(output.ptr, output.len) }.to_vec()
    };
    // SAFETY: the buffer came from this plugin and is freed once.
    unsafe { free_buffer(output) };
    match status {
        STATUS_OK => {
            Article::decode(bytes.as_slice()).expect("an OK status carries an Article");
        }
        STATUS_REJECTED | STATUS_ERROR | STATUS_PANIC => {
            assert!(std::str::from_utf8(&bytes).is_ok(), "the message is text");
        }
        other => panic!("unknown status {other}"),
    }
    // SAFETY: made by `create` above, destroyed once.
    unsafe { destroy::<ScrapedPage>(instance) };
});
