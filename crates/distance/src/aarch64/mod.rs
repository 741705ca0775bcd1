//! aarch64 kernels. NEON is part of every standard aarch64 target (this
//! module only exists when the `neon` target feature is enabled at compile
//! time), so the NEON kernels are plain safe functions and the dispatcher
//! calls them directly.

pub mod neon;
