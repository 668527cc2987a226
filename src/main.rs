//! The `ferry` binary. The command line is [`ferry::cli`], in the library (see there why).

// serde_json's values allocate a great deal; glibc's allocator spent a quarter of a bulk run's
// CPU (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ferry::cli::main()
}
