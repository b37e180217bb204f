fn main() {
    for a in std::env::args().skip(1) {
        match model::scenario::load(std::path::Path::new(&a)) {
            Ok(s) => println!("{}", model::scenario::check_summary(&s)),
            Err(e) => println!("{e}"),
        }
    }
}
