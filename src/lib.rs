#![deny(clippy::all)]
use napi_derive::napi;

#[napi]
pub fn kernel_isa() -> String {
    vn_distance::selected_isa().to_string()
}
