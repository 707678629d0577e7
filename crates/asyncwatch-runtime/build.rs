fn main() {
    // Precise mode is selected by the application's `--cfg tokio_unstable`; declaring it keeps
    // the `unexpected_cfgs` lint quiet in builds without it.
    println!("cargo::rustc-check-cfg=cfg(tokio_unstable)");
}
