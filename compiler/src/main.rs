//! The `edgec` command line.

fn main() {
    println!("edgec {}", env!("CARGO_PKG_VERSION"));
}
