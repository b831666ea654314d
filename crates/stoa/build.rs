//! The `stoa_pg_tests` cfg turns the PostgreSQL variants of the binary's tests on when
//! `STOA_TEST_DATABASE_URL` is set at build time; without it they show as ignored.
fn main() {
    println!("cargo::rerun-if-env-changed=STOA_TEST_DATABASE_URL");
    println!("cargo::rustc-check-cfg=cfg(stoa_pg_tests)");
    if std::env::var_os("STOA_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=stoa_pg_tests");
    }
}
